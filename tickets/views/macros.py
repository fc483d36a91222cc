"""Macros in the agent workspace: the preview of one macro on one ticket (a fragment the ticket
page's picker shows, or a page of its own without JavaScript), applying it, and applying one to
the tickets selected in the queue (all or nothing). Managing macros: ``tickets.views.macro_admin``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from helpdesk.forms import error_text
from helpdesk.redirects import redirect_next
from tickets import selectors
from tickets.exceptions import BulkUpdateFailed, Conflict
from tickets.services import macros as macro_services
from tickets.views.agent import agent_required

FIELD_LABELS = {
    "status": gettext_lazy("Status"),
    "priority": gettext_lazy("Priority"),
    "category": gettext_lazy("Category"),
    "team": gettext_lazy("Team"),
    "assignee": gettext_lazy("Assignee"),
    "tags": gettext_lazy("Tags"),
}


def shown_changes(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The preview's changes with a label each, in the reader's language."""
    shown = []
    for change in changes:
        name = change["field"]
        label = FIELD_LABELS.get(name) or name.removeprefix("custom.")
        shown.append({**change, "label": label})
    return shown


@agent_required
@require_GET
def macro_preview(request: AuthenticatedHttpRequest, pk: int, macro_id: int) -> HttpResponse:
    """What the macro would do to this ticket, with Apply and Undo. Writes nothing. The picker
    asks for the fragment (``?fragment=1``); without JavaScript it is a page of its own."""
    ticket = selectors.ticket_get_for_user(request.user, pk)
    macro = macro_services.macro_usable_or_404(request.user, macro_id)
    preview = macro_services.macro_preview(actor=request.user, macro=macro, ticket=ticket)
    context = {
        "ticket": ticket,
        "macro": macro,
        "changes": shown_changes(preview["changes"]),
        "reply": preview.get("reply"),
        "note": preview.get("note"),
        "nav": "queue",
    }
    if request.GET.get("fragment"):
        response = render(request, "agent/_macro_preview.html", context)
    else:
        response = render(request, "agent/macro_preview.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@agent_required
@require_POST
def macro_apply(request: AuthenticatedHttpRequest, pk: int, macro_id: int) -> HttpResponse:
    """Apply the macro to the ticket — with the reply as the agent edited it — and go back."""
    ticket = selectors.ticket_get_for_user(request.user, pk)
    macro = macro_services.macro_usable_or_404(request.user, macro_id)
    reply = request.POST.get("reply")
    try:
        macro_services.macro_apply(actor=request.user, macro=macro, ticket=ticket, reply=reply)
    except Conflict as exc:
        messages.error(request, exc.message)
    except (ValidationError, PermissionDenied) as exc:
        reason = error_text(exc) if isinstance(exc, ValidationError) else _("You may not make this change.")
        messages.error(
            request, _("Macro “%(name)s” was not applied: %(reason)s") % {"name": macro.name, "reason": reason}
        )
    else:
        messages.success(request, _("Macro “%(name)s” applied.") % {"name": macro.name})
    return redirect(ticket)


@agent_required
@require_POST
def macro_bulk_apply(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The queue's bulk bar: one macro on every selected ticket, or — if any refuses — on none."""
    back = redirect_next(request, request.POST.get("next"), reverse("agent:queue"))
    if not request.POST.get("macro"):
        messages.error(request, _("Choose a macro to apply to the selected tickets."))
        return back
    macro = macro_services.macro_usable_or_404(request.user, request.POST.get("macro"))
    ids = request.POST.getlist("ids")
    try:
        updated = macro_services.macro_apply_bulk(actor=request.user, macro=macro, ticket_ids=ids)
    except BulkUpdateFailed as exc:
        reasons = "; ".join(f"#{pk}: {reason}" for pk, reason in sorted(exc.failures.items()))
        messages.error(
            request,
            _(
                "Nothing was changed: macro “%(name)s” could not be applied to %(failed)s of %(total)s tickets "
                "(%(reasons)s)."
            )
            % {"name": macro.name, "failed": len(exc.failures), "total": len(set(ids)), "reasons": reasons},
        )
    except ValidationError as exc:
        messages.error(request, _("Nothing was changed: %(reason)s") % {"reason": error_text(exc)})
    else:
        count = len(updated)
        messages.success(
            request,
            ngettext(
                "Macro “%(name)s” applied to %(count)d ticket.", "Macro “%(name)s” applied to %(count)d tickets.", count
            )
            % {"name": macro.name, "count": count},
        )
    return back
