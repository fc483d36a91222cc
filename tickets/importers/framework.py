"""The importers' shared machinery: runs that can be taken up again, links that make a repeated
import update instead of duplicating, one transaction per record, a progress bar and a report.

An importer opens an ``ImportSession`` for its source instance and hands it its records kind by
kind (``session.each``). Each record is handled in its own transaction (``atomic_with_files``: a
rolled-back record leaves no stored file either) together with the run's checkpoint for that
kind, so a crash loses nothing already committed, leaves no half record, and the next run against
the same instance starts after the last record that committed. Inside a record, ``upsert`` looks
the source record up in ``ImportLink``: unknown → created and linked; known with the same
fingerprint → unchanged (nothing is written); known and changed → updated.

Nothing here sends anything: importers write history as it was, so the services' after-commit
effects (notifications, triggers, SLA clocks, live updates) are never asked for. The one thing
the session does at the end is expire every cached count, since the desk now holds more tickets.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO, Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy
from tqdm import tqdm

from tickets import caching
from tickets.attachments import atomic_with_files
from tickets.importers.models import ImportLink, ImportRun

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")


EXAMPLES = 5  # source keys kept per reason
MAX_REASONS = 50  # different reasons kept per kind and outcome
OTHER_REASONS = "other reasons"


#: The order kinds are listed in (the report is stored as JSON, which keeps no order): the
#: order an import goes in, then any other kind by name.
KIND_ORDER = ["team", "user", "person", "ticket", "message", "attachment", "event", "collaborator"]


def _kind_order(kind: str) -> tuple[int, str]:
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), kind)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"


OUTCOME_LABELS = {
    Outcome.CREATED: pgettext_lazy("import report", "created"),
    Outcome.UPDATED: pgettext_lazy("import report", "updated"),
    Outcome.UNCHANGED: pgettext_lazy("import report", "unchanged"),
    Outcome.SKIPPED: pgettext_lazy("import report", "skipped"),
    Outcome.FAILED: pgettext_lazy("import report", "failed"),
}


class Skip(Exception):  # noqa: N818 - it is not an error: the record is left out, with a reason
    """Raised by an importer to leave one record out, saying why (counted as skipped)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Matched(Generic[M]):
    """What an upsert's ``create`` returns when the record is a row that already exists here (a
    team of the same name, an account with the same address): it is linked, not created."""

    row: M
    reason: str


class ImportInterrupted(Exception):  # noqa: N818 - named for what happened, like KeyboardInterrupt
    """Stops the run where it is, like a crash would (``--fail-after`` in tests)."""


def fingerprint(value: Any) -> str:
    """A digest of a source record (any JSON-able value; dates as ISO strings)."""
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def describe_error(exc: BaseException) -> str:
    """One line saying why a record failed, for the report."""
    if isinstance(exc, ValidationError):
        text = "; ".join(str(message) for message in exc.messages)
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:299] + "…"


@dataclass
class Report:
    """How many records of each kind were created, updated, unchanged, skipped or failed, and why
    (with a few source keys as examples)."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    reasons: dict[tuple[str, str, str], list[Any]] = field(default_factory=dict)  # → [count, examples]

    def add(self, kind: str, outcome: Outcome, *, reason: str = "", key: Any = None) -> None:
        per_kind = self.counts.setdefault(kind, {})
        per_kind[outcome.value] = per_kind.get(outcome.value, 0) + 1
        if reason:
            self.note(kind, outcome, reason, key=key)

    def note(self, kind: str, outcome: Outcome, reason: str, *, key: Any = None, count: int = 1) -> None:
        """Give a reason for a record already counted (e.g. created, but under a made-up address)."""
        entry = self._entry(kind, outcome.value, reason)
        entry[0] += count
        if key is not None and len(entry[1]) < EXAMPLES:
            entry[1].append(str(key))

    def _entry(self, kind: str, outcome: str, reason: str) -> list[Any]:
        # The report is saved with every record: past MAX_REASONS different reasons for one kind
        # and outcome (say, a file name in each), the rest are counted together.
        if (kind, outcome, reason) not in self.reasons:
            same = sum(1 for k, o, _r in self.reasons if (k, o) == (kind, outcome))
            if same >= MAX_REASONS:
                reason = OTHER_REASONS
        return self.reasons.setdefault((kind, outcome, reason), [0, []])

    def get(self, kind: str, outcome: Outcome) -> int:
        return self.counts.get(kind, {}).get(outcome.value, 0)

    def merged(self, other: Report) -> Report:
        result = Report.from_dict(self.as_dict())
        for kind, per_kind in other.counts.items():
            for outcome, count in per_kind.items():
                target = result.counts.setdefault(kind, {})
                target[outcome] = target.get(outcome, 0) + count
        for (kind, outcome, reason), (count, examples) in other.reasons.items():
            entry = result._entry(kind, outcome, reason)
            entry[0] += count
            entry[1] = (entry[1] + [e for e in examples if e not in entry[1]])[:EXAMPLES]
        return result

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "reasons": [
                {"kind": kind, "outcome": outcome, "reason": reason, "count": count, "examples": examples}
                for (kind, outcome, reason), (count, examples) in self.reasons.items()
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Report:
        data = data or {}
        report = cls(counts={kind: dict(per) for kind, per in (data.get("counts") or {}).items()})
        for item in data.get("reasons") or []:
            report.reasons[(item["kind"], item["outcome"], item["reason"])] = [item["count"], list(item["examples"])]
        return report

    def render(self) -> str:
        """The report as a table of counts per kind, then the reasons for anything left out."""
        headings = [str(OUTCOME_LABELS[outcome]) for outcome in Outcome]
        kind_heading = pgettext("import report", "kind")
        width = max([len(kind_heading)] + [len(kind) for kind in self.counts]) + 2
        lines = [kind_heading.ljust(width) + "".join(h.rjust(max(len(h), 7) + 2) for h in headings)]
        for kind, per_kind in sorted(self.counts.items(), key=lambda item: _kind_order(item[0])):
            cells = [per_kind.get(outcome.value, 0) for outcome in Outcome]
            lines.append(
                kind.ljust(width)
                + "".join(str(n).rjust(max(len(h), 7) + 2) for h, n in zip(headings, cells, strict=True))
            )
        if self.reasons:
            lines.append("")
            lines.append(pgettext("import report", "Why:"))
            for (kind, outcome, reason), (count, examples) in sorted(self.reasons.items()):
                sample = _(" (e.g. %(keys)s)") % {"keys": ", ".join(examples)} if examples else ""
                lines.append(f"  {kind} {OUTCOME_LABELS[Outcome(outcome)]} ×{count}: {reason}{sample}")
        return "\n".join(lines)


class Links:
    """The ``ImportLink`` rows of one source instance, read in batches and remembered. A record
    that rolls back makes the session ``forget`` them all (links written inside it are gone)."""

    def __init__(self, source: str, instance: str):
        self.source = source
        self.instance = instance
        self._known: dict[tuple[str, str], ImportLink | None] = {}

    def preload(self, kind: str, keys: Iterable[Any]) -> None:
        wanted = [str(key) for key in keys if (kind, str(key)) not in self._known]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found = {
                link.external_id: link
                for link in ImportLink.objects.filter(
                    source=self.source, instance=self.instance, kind=kind, external_id__in=chunk
                )
            }
            for key in chunk:
                self._known[(kind, key)] = found.get(key)

    def get(self, kind: str, key: Any) -> ImportLink | None:
        if (kind, str(key)) not in self._known:
            self.preload(kind, [key])
        return self._known[(kind, str(key))]

    def local_id(self, kind: str, key: Any) -> int | None:
        link = self.get(kind, key)
        return link.local_id if link is not None else None

    def put(self, kind: str, key: Any, local_id: int, digest: str = "") -> ImportLink:
        link = self.get(kind, key)
        now = timezone.now()
        if link is None:
            link = ImportLink.objects.create(
                source=self.source,
                instance=self.instance,
                kind=kind,
                external_id=str(key),
                local_id=local_id,
                fingerprint=digest,
                created_at=now,
                updated_at=now,
            )
        elif (link.local_id, link.fingerprint) != (local_id, digest):
            link.local_id, link.fingerprint, link.updated_at = local_id, digest, now
            link.save(update_fields=["local_id", "fingerprint", "updated_at"])
        self._known[(kind, str(key))] = link
        return link

    def forget(self) -> None:
        self._known.clear()


class ImportSession:
    """One import run against one source instance (see the module's docstring)."""

    def __init__(
        self,
        *,
        source: str,
        instance: str,
        label: str = "",
        dry_run: bool = False,
        progress: bool | None = None,
        fail_after: int | None = None,
        progress_file: IO[str] | None = None,
    ):
        self.source = source
        self.instance = instance
        self.label = label
        self.dry_run = dry_run
        # None: a bar when the progress stream is a terminal (tqdm's own choice).
        self.progress = progress
        self.progress_file = progress_file or sys.stderr
        self.fail_after = fail_after
        self.links = Links(source, instance)
        self.total = Report()
        self.report = self.total  # where records count: the record's own report while one runs
        self.resumed = False
        self.run: ImportRun | None = None
        self._on_rollback: list[Callable[[], None]] = [self.links.forget]
        self._handled = 0  # tickets handled by this process (``fail_after``)

    # --- the run ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def running(self) -> Iterator[ImportSession]:
        """Start (or take up) the run, yield, and mark it finished. A dry run does all the work
        and then rolls every row and stored file back."""
        if not self.dry_run:
            self._start()
            yield self
            self._finish()
            return
        with contextlib.suppress(_DryRunRollback), atomic_with_files():
            self._start()
            yield self
            self._finish()
            raise _DryRunRollback

    def _start(self) -> None:
        unfinished = (
            ImportRun.objects.filter(source=self.source, instance=self.instance, finished_at__isnull=True)
            .order_by("-started_at", "-id")
            .first()
        )
        if unfinished is not None:
            self.run, self.resumed = unfinished, True
            self.total = Report.from_dict(unfinished.report)
        else:
            self.run = ImportRun.objects.create(source=self.source, instance=self.instance, label=self.label)
        self.report = self.total

    def _finish(self) -> None:
        assert self.run is not None
        with atomic_with_files():
            self.run.finished_at = timezone.now()
            self.run.report = self.total.as_dict()
            self.run.save(update_fields=["finished_at", "report"])
            # The desk has more tickets, people and teams: every cached count and figure goes.
            caching.access_changed()

    def checkpoint(self, kind: str) -> Any:
        """The last source key of ``kind`` that this run (or the run it takes up) committed."""
        assert self.run is not None
        return self.run.checkpoints.get(kind)

    def on_rollback(self, forget: Callable[[], None]) -> None:
        """Have ``forget`` called when a record rolls back (caches of rows it may have made)."""
        self._on_rollback.append(forget)

    # --- records ---------------------------------------------------------------------------

    def each(
        self,
        kind: str,
        records: Iterable[T],
        *,
        key: Callable[[T], Any],
        handle: Callable[[T], None],
        total: int | None = None,
    ) -> None:
        """Handle each record in its own transaction, in order, moving the checkpoint of ``kind``
        with it. A record that raises is rolled back whole and counted as failed (or skipped, for
        ``Skip``) with its reason; the run goes on. ``ImportInterrupted`` and ``KeyboardInterrupt``
        stop the run: what committed stays, and the next run starts after it."""
        assert self.run is not None
        bar = tqdm(
            total=total,
            desc=kind,
            unit=kind,
            file=self.progress_file,
            disable=None if self.progress is None else not self.progress,
            leave=False,
        )
        try:
            for record in records:
                self._one(kind, record, key(record), handle)
                bar.update(1)
        finally:
            bar.close()

    def _one(self, kind: str, record: T, record_key: Any, handle: Callable[[T], None]) -> None:
        scratch = Report()
        self.report = scratch
        try:
            with atomic_with_files():
                handle(record)
                if kind == "ticket" and self.fail_after is not None:
                    self._handled += 1
                    if self._handled > self.fail_after:
                        raise ImportInterrupted(f"stopped on purpose at {kind} {record_key} (--fail-after)")
                merged = self.total.merged(scratch)
                self._save_checkpoint(kind, record_key, merged)
            self.total = merged
        except (ImportInterrupted, KeyboardInterrupt):
            self._rolled_back()
            raise
        except Skip as skip:
            self._rolled_back()
            self._record_outside(kind, record_key, Outcome.SKIPPED, skip.reason)
        except Exception as exc:
            self._rolled_back()
            self._record_outside(kind, record_key, Outcome.FAILED, describe_error(exc))
        finally:
            self.report = self.total

    def _record_outside(self, kind: str, record_key: Any, outcome: Outcome, reason: str) -> None:
        lone = Report()
        lone.add(kind, outcome, reason=reason, key=record_key)
        merged = self.total.merged(lone)
        with atomic_with_files():
            self._save_checkpoint(kind, record_key, merged)
        self.total = merged

    def _save_checkpoint(self, kind: str, record_key: Any, report: Report) -> None:
        assert self.run is not None
        self.run.checkpoints = {**self.run.checkpoints, kind: record_key}
        self.run.report = report.as_dict()
        self.run.save(update_fields=["checkpoints", "report"])

    def _rolled_back(self) -> None:
        if self.run is not None:
            self.run.refresh_from_db(fields=["checkpoints", "report"])
        for forget in self._on_rollback:
            forget()

    # --- one source record -----------------------------------------------------------------

    def upsert(
        self,
        kind: str,
        key: Any,
        *,
        model: type[M],
        digest: str,
        create: Callable[[], M | Matched[M]],
        update: Callable[[M], object],
    ) -> M | None:
        """The local row of source record ``key`` of ``kind``: ``create()``d and linked the first
        time (or linked to the existing row it returns as ``Matched``); ``update(row)``d when the source changed since (``digest``); left alone otherwise.
        ``Skip`` raised by ``create``/``update`` leaves the record out (counted, with its reason)
        and returns None; so does a row deleted here after an earlier import (it stays deleted)."""
        link = self.links.get(kind, key)
        if link is not None:
            existing = model._default_manager.filter(pk=link.local_id).first()
            if existing is None:
                self.report.add(kind, Outcome.SKIPPED, reason=_("deleted here after an earlier import"), key=key)
                return None
            if link.fingerprint == digest:
                self.report.add(kind, Outcome.UNCHANGED)
                return existing
        try:
            # A savepoint: a record skipped half-way leaves none of its rows (or files) behind.
            with atomic_with_files():
                if link is None:
                    made = create()
                    if isinstance(made, Matched):
                        self.links.put(kind, key, made.row.pk, digest)
                        self.report.add(kind, Outcome.UNCHANGED, reason=made.reason, key=key)
                        return made.row
                    self.links.put(kind, key, made.pk, digest)
                    self.report.add(kind, Outcome.CREATED)
                    return made
                assert existing is not None
                update(existing)
                self.links.put(kind, key, existing.pk, digest)
                self.report.add(kind, Outcome.UPDATED)
                return existing
        except Skip as skip:
            for forget in self._on_rollback:
                forget()
            self.report.add(kind, Outcome.SKIPPED, reason=skip.reason, key=key)
            return None


class _DryRunRollback(Exception):  # noqa: N818 - control flow, never seen outside this module
    pass
