"""A small client of Zendesk's Support API v2 (standard library only: ``urllib``).

What the importer needs and nothing more: GET of JSON with Zendesk's API-token sign-in
(``email/token:TOKEN`` as HTTP Basic), cursor pages (``meta.has_more`` + ``links.next``) and the
older offset pages (``next_page``), the incremental ticket export, and file downloads.

Being a polite client: a 429 is waited out for as long as ``Retry-After`` says (and tried again);
a 5xx, a timeout or a dropped connection is tried again with a growing pause; anything else (401,
403, 404, 422…) is a ``ZendeskError`` at once. Credentials go only to the account's own host: a
file whose ``content_url`` lives elsewhere (Zendesk's file host) is fetched without them, and a
redirect never carries them along (``add_unredirected_header``).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib import error, parse, request

from django.utils.translation import gettext as _

USER_AGENT = "helpdesk-import-zendesk/1"
PAGE_SIZE = 100
MAX_WAIT = 300  # seconds: the longest single pause a Retry-After may ask for


class ZendeskError(Exception):
    """The account answered something other than what was asked for (or could not be reached)."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass
class Page:
    """One page of the incremental ticket export."""

    tickets: list[dict[str, Any]]
    after_cursor: str | None
    end_of_stream: bool


def api_base(url: str) -> str:
    """``https://acme.zendesk.com`` (or ``…/api/v2/``) as the API's base ``…/api/v2/``."""
    parts = parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ZendeskError(_("%(url)s is not an http(s) address of a Zendesk account.") % {"url": url})
    path = parts.path.rstrip("/")
    if not path.endswith("/api/v2"):
        path += "/api/v2"
    return parse.urlunsplit((parts.scheme, parts.netloc, path + "/", "", ""))


def instance_key(url: str) -> str:
    """Which account an import reads: its host (``acme.zendesk.com``; with the port if one is given)."""
    parts = parse.urlsplit(api_base(url))
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


class ZendeskClient:
    def __init__(
        self,
        url: str,
        *,
        email: str,
        token: str,
        timeout: float = 30,
        retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base = api_base(url)
        self.host = parse.urlsplit(self.base).netloc.lower()
        self.timeout = timeout
        self.retries = retries
        self.sleep = sleep
        secret = base64.b64encode(f"{email}/token:{token}".encode()).decode("ascii")
        self._authorization = f"Basic {secret}"
        self.requests = 0  # how many HTTP requests were made (the report says so)

    # --- plumbing ------------------------------------------------------------------------------

    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        url = path if "://" in path else parse.urljoin(self.base, path.lstrip("/"))
        return f"{url}?{parse.urlencode(params)}" if params else url

    def _open(self, url: str, *, limit: int | None = None) -> bytes:
        """The body of a GET of ``url``, tried again on 429/5xx/timeouts as the module says."""
        if parse.urlsplit(url).scheme not in ("http", "https"):  # a "next" link is the server's word
            raise ZendeskError(_("%(url)s is not an http(s) address.") % {"url": url[:200]})
        failures = 0
        while True:
            headers = {"User-Agent": USER_AGENT, "Accept": "application/json, */*"}
            req = request.Request(url, headers=headers)  # noqa: S310 - http(s) only, checked above
            if parse.urlsplit(url).netloc.lower() == self.host:
                req.add_unredirected_header("Authorization", self._authorization)
            self.requests += 1
            try:
                with request.urlopen(req, timeout=self.timeout) as response:  # noqa: S310 - as above
                    body = response.read(limit + 1 if limit is not None else -1)
                    if limit is not None and len(body) > limit:
                        raise ZendeskError(_("larger than %(size)d bytes") % {"size": limit}, status=413)
                    return body
            except error.HTTPError as exc:
                if exc.code == 429:
                    self.sleep(retry_after(exc.headers.get("Retry-After")))
                    continue  # waiting out a rate limit is not a failure
                if exc.code >= 500 and failures < self.retries:
                    failures += 1
                    self.sleep(min(2**failures, 60))
                    continue
                raise ZendeskError(_describe(exc), status=exc.code) from None
            except (error.URLError, TimeoutError, ConnectionError) as exc:
                if failures < self.retries:
                    failures += 1
                    self.sleep(min(2**failures, 60))
                    continue
                reason = getattr(exc, "reason", exc)
                raise ZendeskError(
                    _("%(url)s cannot be reached: %(reason)s") % {"url": url, "reason": reason}
                ) from None

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        body = self._open(self.url(path, params))
        try:
            data = json.loads(body)
        except ValueError:
            raise ZendeskError(_("%(path)s did not answer with JSON.") % {"path": path}) from None
        if not isinstance(data, dict):
            raise ZendeskError(_("%(path)s did not answer with a JSON object.") % {"path": path})
        return data

    def download(self, url: str, *, limit: int) -> bytes:
        """A file's bytes; ``ZendeskError`` (status 413) past ``limit`` bytes."""
        return self._open(url, limit=limit)

    # --- lists ---------------------------------------------------------------------------------

    def items(self, path: str, key: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a list, page by page: cursor pages where the answer has them
        (``meta.has_more``/``links.next``), otherwise offset pages (``next_page``)."""
        url: str | None = self.url(path, {"page[size]": PAGE_SIZE, **(params or {})})
        while url:
            data = self.get(url)
            yield from data.get(key) or []
            url = _next_page(data)

    def optional_items(self, path: str, key: str) -> list[dict[str, Any]] | None:
        """``items`` of a list the account may not serve: None for a 404."""
        try:
            return list(self.items(path, key))
        except ZendeskError as exc:
            if exc.status == 404:
                return None
            raise

    def ticket_pages(self, *, cursor: str | None) -> Iterator[tuple[str | None, Page]]:
        """The incremental ticket export from ``cursor`` (None: from the beginning), as pairs of
        (the cursor that fetched the page, the page), to the end of the stream."""
        while True:
            params: dict[str, Any] = {"cursor": cursor} if cursor else {"start_time": 0}
            data = self.get("incremental/tickets/cursor.json", params)
            page = Page(
                tickets=list(data.get("tickets") or []),
                after_cursor=data.get("after_cursor") or cursor,
                end_of_stream=bool(data.get("end_of_stream", True)),
            )
            yield cursor, page
            if page.end_of_stream or not page.after_cursor or page.after_cursor == cursor:
                return
            cursor = page.after_cursor

    def comments(self, ticket_id: int) -> list[dict[str, Any]]:
        return list(self.items(f"tickets/{ticket_id}/comments.json", "comments"))

    def audits(self, ticket_id: int) -> list[dict[str, Any]] | None:
        """The ticket's audits, oldest first (None: the account does not serve them)."""
        return self.optional_items(f"tickets/{ticket_id}/audits.json", "audits")


def _next_page(data: dict[str, Any]) -> str | None:
    meta = data.get("meta") or {}
    if "has_more" in meta:  # cursor pages
        return (data.get("links") or {}).get("next") if meta.get("has_more") else None
    return data.get("next_page")  # offset pages


def retry_after(value: str | None) -> float:
    """Seconds to wait for a ``Retry-After`` (seconds or an HTTP date); 60 when absent."""
    if not value:
        return 60.0
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            seconds = 60.0
    return min(max(seconds, 1.0), MAX_WAIT)


def _describe(exc: error.HTTPError) -> str:
    """Zendesk's ``{"error", "description"}`` (or the bare status) as one line."""
    detail = ""
    try:
        data = json.loads(exc.read(4096) or b"{}")
        if isinstance(data, dict):
            value = data.get("description") or data.get("error") or data.get("detail") or ""
            detail = value if isinstance(value, str) else json.dumps(value)[:200]
    except (ValueError, OSError):
        pass
    text = f"HTTP {exc.code} {exc.reason}"
    return f"{text}: {detail}" if detail else text
