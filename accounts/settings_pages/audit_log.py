"""Settings → Audit log: every change made in the settings area and in the back office, newest
first, by whom and to which object, field by field (``accounts.audit``)."""

from __future__ import annotations

import re
from typing import cast

from django.contrib.admin.models import ADDITION, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.http import HttpResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_http_methods

from accounts import audit
from accounts.http import AuthenticatedHttpRequest
from accounts.settings_pages import common
from accounts.settings_pages.common import settings_view
from accounts.settings_pages.forms import AUDITED, AuditFilterForm

SECTION = "audit"
PER_PAGE = 50
#: Where an audited object is shown in the settings area (invitations have no page of their own).
OBJECT_PAGES = {"user": "settings:person", "team": "settings:team", "organization": "settings:organization"}
KIND_BY_MODEL = {model._meta.model_name: key for key, model in AUDITED.items()}
#: The words for the objects the settings area manages, in the reader's language (their models' own
#: names, which other content types fall back to, are not all translated).
KIND_NAMES = {
    "user": pgettext_lazy("audit log: what was changed", "user"),
    "team": pgettext_lazy("audit log: what was changed", "team"),
    "organization": pgettext_lazy("audit log: what was changed", "organization"),
    "invite": pgettext_lazy("audit log: what was changed", "invite"),
}


def _object_url(entry: LogEntry) -> str:
    content_type = cast(ContentType | None, entry.content_type)
    if entry.action_flag == DELETION or content_type is None:
        return ""
    name = OBJECT_PAGES.get(content_type.model) if content_type.app_label == "accounts" else None
    if name is None:
        return ""
    try:
        return reverse(name, args=[int(entry.object_id)])
    except (ValueError, NoReverseMatch):
        return ""


#: An invitation's stored name, "Invite for sam@desk.test (agent)" (``Invite.__str__``, in English
#: as the admin stores it): the log shows only the address, after the translated kind.
INVITE_REPR = re.compile(r"^Invite for (?P<email>\S+) \((?:agent|admin)\)$")


def _object_name(entry: LogEntry) -> str:
    content_type = cast(ContentType | None, entry.content_type)
    if content_type is not None and (content_type.app_label, content_type.model) == ("accounts", "invite"):
        match = INVITE_REPR.match(entry.object_repr)
        if match:
            return match.group("email")
    return entry.object_repr


def _kind(entry: LogEntry) -> str:
    content_type = cast(ContentType | None, entry.content_type)
    if content_type is None:
        return ""
    if content_type.app_label == "accounts" and content_type.model in KIND_NAMES:
        return str(KIND_NAMES[content_type.model])
    return str(content_type.name)


@settings_view
@require_http_methods(["GET"])
def audit_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The log, filtered by who changed things and what kind of object: a constant number of
    queries per page (the count, the page with actors and content types, the actor filter's list)."""
    form = AuditFilterForm(request.GET or None)
    entries = form.filter(LogEntry.objects.select_related("user", "content_type").order_by("-action_time", "-pk"))
    page = common.page_of(request, entries, PER_PAGE)
    rows = [
        {
            "entry": entry,
            "lines": audit.describe(entry),
            "url": _object_url(entry),
            "kind": _kind(entry),
            "name": _object_name(entry),
            "added": entry.action_flag == ADDITION,
            "deleted": entry.action_flag == DELETION,
        }
        for entry in page
    ]
    return common.render_page(
        request,
        "settings/audit.html",
        {"form": form, "page": page, "rows": rows, "query": common.query_without_page(request)},
        section=SECTION,
        landing=True,
    )


urlpatterns = [path("", audit_log, name="audit")]
