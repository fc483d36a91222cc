"""The agent workspace (DESIGN §7 ``/agent/*``): queue, bulk actions, ticket page (statistics:
``tickets.views.stats``).

Every view is selector → form → service → message → redirect. Only agents and admins use these
pages: anyone else gets 404, as if the workspace did not exist. Tickets an agent may not see are
404 too (``selectors.ticket_get_for_user``); a visible ticket they may not change is 403 (the
services raise ``PermissionDenied``).
"""

from __future__ import annotations

from email import parser as email_parser
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import Team, User
from helpdesk.forms import apply_errors, error_text
from helpdesk.ids import parse_id
from helpdesk.redirects import redirect_next
from tickets import directory, live, permissions, queue, queue_rows, queue_views, selectors, services, timeline
from tickets.exceptions import BulkUpdateFailed, Conflict
from tickets.forms.agent import BulkForm, CollaboratorForm, MessageForm, TicketFieldsForm
from tickets.forms.agent import QueueFilterForm as _QueueFilterForm
from tickets.models import InboundMessage, Status, Ticket
from tickets.permissions import Action
from tickets.satisfaction import selectors as satisfaction_selectors
from tickets.selectors import custom_fields as custom_field_selectors
from tickets.services import macros as macro_services
from tickets.sla import selectors as sla_selectors
from tickets.views import custom_fields as custom_field_views


def agent_required(view):
    """Agents and admins only; everybody else gets 404 (the login middleware handles sign-in)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not permissions.works_tickets(request.user):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapped


def _staff(*, for_display: bool = False) -> list[Any]:
    if for_display:
        # Pickers need an id and a name: rows of only those (``pk``, ``name``, ``email``), kept
        # in the process between changes (``tickets.directory``).
        return list(directory.staff_rows())
    return list(permissions.staff_members().order_by("name", "id"))


# A single file's errors (``field="file"``) belong under the composer's "attachments".
FILE_ERRORS = {"file": "attachments"}


# --- queue ------------------------------------------------------------------------------------


@agent_required
@require_GET
def queue_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The queue: built-in views with live counts, filters, sort and cursor pages, all in the URL."""
    user = request.user
    agents = _staff(for_display=True)
    teams = directory.teams()
    views = queue_views.definitions(user)  # built-ins and the agent's saved views (issue 16)
    form = _QueueFilterForm(
        request.GET or None,
        agents=agents,
        teams=teams,
        views=[(v.key, v.label) for v in views],
        custom_fields=custom_field_selectors.active_fields(),
    )
    filter_errors: list[str] = []
    if form.is_bound:
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label or field.replace("_", " ").capitalize() if field in form.fields else ""
                filter_errors.extend(f"{label}: {e}" if label else str(e) for e in errors)
        data = form.cleaned_data
    else:
        data = {}
    view = data.get("view") or queue.DEFAULT_VIEW
    current = next(v for v in views if v.key == view)
    if not request.GET.get("sort") and not (data.get("q") or "").strip():
        data = {**data, "sort": current.sort}  # the view's own order unless another is asked for
    sort = data.get("sort") or queue.DEFAULT_SORT
    custom = queue_views.custom_fields([v.saved for v in views if v.saved is not None])
    tickets = queue_views.filtered(user, current, data, custom=custom)
    try:
        page = queue.paginate(tickets, sort, data.get("cursor"))
    except queue.BadCursor as exc:
        filter_errors.append(str(exc))
        page = queue.paginate(tickets, sort, None)

    params = request.GET.copy()
    params.pop("cursor", None)
    next_url = previous_url = None
    if page.next_cursor:
        params["cursor"] = page.next_cursor
        next_url = "?" + params.urlencode()
        params.pop("cursor")
    if page.previous_cursor:
        params["cursor"] = page.previous_cursor
        previous_url = "?" + params.urlencode()
        params.pop("cursor")
    counts = queue.known_view_counts(user) or {}
    tabs = [
        {
            "key": v.key,
            "label": v.label,
            "count": counts.get(v.key),
            "capped": counts.get(v.key, 0) >= queue.COUNT_CAP,
            # Saved and SLA views open in their own order; the others keep the current one.
            "url": "?"
            + urlencode({"view": v.key} if v.saved or v.sort != queue.DEFAULT_SORT else {"view": v.key, "sort": sort}),
            "saved": v.saved,
        }
        for v in views
        # "My teams" of an agent in no team would always say 0: left out (its page explains why).
        if v.key != "my_teams" or view == "my_teams" or queue.in_a_team(user)
    ]
    filters_active = any(
        data.get(name)
        for name in form.fields
        if name not in ("view", "sort", "cursor") and not (name == "assignee" and data.get(name) == "anyone")
    )
    shown = queue_views.page_context(user, current, custom, request.GET)
    return render(
        request,
        "agent/queue.html",
        {
            "rows": queue_rows.RowWriter(shown["columns"], shown["custom_columns"]).rows(page.tickets),
            "form": form,
            "filter_errors": filter_errors,
            "filters_active": filters_active,
            "view": view,
            "view_label": current.label,
            "current_view": current,
            **shown,
            "sort": sort,
            "tabs": tabs,
            "counts_pending": not counts,
            "count_cap": queue.COUNT_CAP,
            "page": page,
            "first_page_url": "?" + params.urlencode() if data.get("cursor") else None,
            "next_url": next_url,
            "previous_url": previous_url,
            "empty_text": queue.empty_text(user, view) if current.builtin else queue_views.EMPTY_SAVED_TEXT,
            "bulk_form": BulkForm(agents=agents, teams=teams, auto_id="id_bulk_%s"),
            "macros": macro_services.macros_for(user),
            "current_url": request.get_full_path(),
            "nav": "queue",
        },
    )


@agent_required
@require_GET
def view_counts(request: AuthenticatedHttpRequest) -> JsonResponse:
    """The queue's view counts as JSON, for the tabs of a queue page that was shown before they
    were counted (see ``queue.known_view_counts``). Cached until anything changes."""
    counts = queue.view_counts(request.user)
    response = JsonResponse({"counts": counts, "cap": queue.COUNT_CAP})
    response["Cache-Control"] = "private, no-store"
    return response


@agent_required
@require_POST
def bulk_update(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Apply one set of changes to the selected tickets: all of them or none."""
    agents = _staff()
    teams = list(Team.objects.order_by("name"))
    form = BulkForm(request.POST, agents=agents, teams=teams)
    back = redirect_next(request, request.POST.get("next"), reverse("agent:queue"))
    if not form.is_valid():
        for field, errors in form.errors.items():
            text = " ".join(str(e) for e in errors)
            messages.error(request, text if field in ("ids", "__all__") else f"{field}: {text}")
        return back
    changes = form.changes(
        actor=request.user, users_by_id={u.pk: u for u in agents}, teams_by_id={t.pk: t for t in teams}
    )
    if not changes:
        messages.error(request, _("Choose at least one change to apply to the selected tickets."))
        return back
    ids = form.cleaned_data["ids"]
    try:
        updated = services.ticket_bulk_update(actor=request.user, ticket_ids=ids, changes=changes)
    except BulkUpdateFailed as exc:
        reasons = "; ".join(f"#{pk}: {reason}" for pk, reason in sorted(exc.failures.items()))
        messages.error(
            request,
            _("Nothing was changed: %(failed)s of %(total)s tickets could not take the change (%(reasons)s).")
            % {"failed": len(exc.failures), "total": len(set(ids)), "reasons": reasons},
        )
    except ValidationError as exc:
        messages.error(request, _("Nothing was changed: %(reason)s") % {"reason": error_text(exc)})
    else:
        count = len(updated)
        messages.success(
            request, ngettext("Updated %(count)d ticket.", "Updated %(count)d tickets.", count) % {"count": count}
        )
    return back


# --- ticket page ------------------------------------------------------------------------------


def _assignable(ticket) -> list[Any]:
    """The assignee picker's people: rows of only what an option shows (``pk``, ``name``,
    ``email``; hundreds of agents on a big desk, kept per team by ``tickets.directory``), and the
    current assignee."""
    agents: list[Any] = list(directory.assignable_rows(ticket.team))
    if ticket.assignee is not None and ticket.assignee.pk not in {a.pk for a in agents}:
        agents.append(ticket.assignee)
    return agents


def _fields_form(ticket, data=None) -> TicketFieldsForm:
    initial = {
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": str(ticket.assignee_id or ""),
        "team": str(ticket.team_id or ""),
        "category": ticket.category or "",
        "tags": " ".join(tag.name for tag in ticket.tags.all()),
    }
    return TicketFieldsForm(data, initial=initial, agents=_assignable(ticket), teams=directory.teams())


def _render_ticket(
    request,
    ticket,
    *,
    message_form=None,
    fields_form=None,
    collaborator_form=None,
    custom_fields_form=None,
    status=200,
    stale_changes=(),
):
    user = request.user
    history = timeline.build(user, ticket)
    # What this page "has seen": the newest history entry, already loaded when the agent may see
    # the whole history (otherwise the newest public one: hidden entries give nothing away).
    if permissions.internal_visible(user, ticket):
        seen_event_id = history.last_event_id
    else:
        seen_event_id = live.ticket_latest_event_id(ticket.pk, internal=False)
    other_tickets = list(
        permissions.visible_tickets(user)
        .filter(requester=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .order_by("-updated_at", "-id")[:5]
    )
    return render(
        request,
        "agent/ticket.html",
        {
            "ticket": ticket,
            "nav": "queue",  # the workspace's place in the main menu
            "entries": history.entries,
            "message_form": message_form or MessageForm(),
            "fields_form": fields_form or _fields_form(ticket),
            "collaborator_form": collaborator_form or CollaboratorForm(),
            "collaborators": list(ticket.collaborators.order_by("name", "id")),
            "other_tickets": other_tickets,
            "can_change": permissions.can(user, Action.CHANGE, ticket),
            "is_closed": ticket.status == Status.CLOSED,
            "claimable": ticket.assignee_id != user.pk and ticket.status != Status.CLOSED,
            "releasable": ticket.assignee_id == user.pk and ticket.status != Status.CLOSED,
            "may_force_claim": ticket.assignee_id is not None and permissions.may_force_claim(user, ticket),
            "seen_event_id": seen_event_id,
            "stale_changes": stale_changes,
            "macros": macro_services.macros_for(user),
            **custom_field_views.page_context(user, ticket, custom_fields_form),
            "sla": sla_selectors.ticket_sla(user, ticket),  # tickets.sla.selectors: agents only
            "satisfaction": satisfaction_selectors.for_page(user, ticket),  # the latest survey: one query
        },
        status=status,
    )


render_ticket = _render_ticket  # for the page's other views (tickets.views.custom_fields)


@agent_required
@require_GET
def ticket_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, pk)
    services.notification_mark_read_for_ticket(actor=request.user, ticket=ticket)
    return _render_ticket(request, ticket)


@agent_required
@require_GET
def message_original(request: AuthenticatedHttpRequest, pk: int, message_id: int) -> HttpResponse:
    """The email a message of ticket ``pk`` came from, as it arrived: its headers and its raw
    source, shown as text (escaped, never rendered). Agents who may see the ticket (and, for an
    internal note, its notes); 404 for everyone else and for messages that did not come by email."""
    ticket = selectors.ticket_get_for_user(request.user, pk)
    message_pk = parse_id(message_id)
    if message_pk is None:
        raise Http404("No such email.")
    visible = selectors.messages_for(request.user, ticket).filter(pk=message_pk).values("pk")
    inbound = InboundMessage.objects.filter(ticket_message__in=visible).select_related("mailbox").first()
    if inbound is None:
        raise Http404("No such email.")
    raw = bytes(inbound.raw)
    # The header block as it arrived (encoded words left encoded: this is the evidence, not a rendering).
    headers = [(name, str(value)) for name, value in email_parser.BytesHeaderParser().parsebytes(raw).items()]
    return render(
        request,
        "agent/message_original.html",
        {
            "ticket": ticket,
            "nav": "queue",
            "message_id": message_id,
            "inbound": inbound,
            "headers": headers,
            "source": raw.decode("utf-8", errors="replace"),
        },
    )


@agent_required
@require_POST
def ticket_message(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Reply to the customer or add an internal note, with files and an optional new status."""
    ticket = selectors.ticket_get_for_user(request.user, pk)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        internal = form.cleaned_data["mode"] == "note"
        # Someone else replied or changed the ticket since this page was loaded: show what, keep
        # the text, and let the agent send it again knowingly instead of racing silently.
        seen = parse_id(request.POST.get("seen_event_id", ""))
        stale = live.changed_since_seen(request.user, ticket, seen) if seen is not None else []
        if stale:
            return _render_ticket(request, ticket, message_form=form, status=409, stale_changes=stale)
        try:
            services.message_add(
                actor=request.user,
                ticket=ticket,
                body=form.cleaned_data["body"],
                internal=internal,
                attachments=form.cleaned_data["attachments"],
                status=form.cleaned_data["status"] or None,
            )
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect(ticket)
        except ValidationError as exc:
            apply_errors(form, exc, aliases=FILE_ERRORS)
        else:
            done = _("Internal note added.") if internal else _("Reply sent to the customer.")
            if form.cleaned_data["status"]:
                done += " " + _("Status: %(status)s.") % {"status": Status(form.cleaned_data["status"]).label}
            messages.success(request, done)
            return redirect(ticket)
    ticket = selectors.ticket_get_for_user(request.user, pk)  # fresh, after a refused change
    return _render_ticket(request, ticket, message_form=form, status=400)


@agent_required
@require_POST
def ticket_fields(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The side panel: status, priority, assignee, team, tags, category — only what changed."""
    ticket = selectors.ticket_get_for_user(request.user, pk)
    permissions.authorize(request.user, Action.CHANGE, ticket)
    form = _fields_form(ticket, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        changes: dict = {}
        for field in ("status", "priority"):
            if data[field] != getattr(ticket, field):
                changes[field] = data[field]
        if (data["category"] or None) != ticket.category:
            changes["category"] = data["category"] or None
        if sorted(data["tags"]) != sorted(tag.name for tag in ticket.tags.all()):
            changes["tags"] = data["tags"]
        if (int(data["team"]) if data["team"] else None) != ticket.team_id:
            changes["team"] = Team.objects.get(pk=int(data["team"])) if data["team"] else None
        if (int(data["assignee"]) if data["assignee"] else None) != ticket.assignee_id:
            changes["assignee"] = User.objects.get(pk=int(data["assignee"])) if data["assignee"] else None
        if not changes:
            messages.info(request, _("Nothing to change."))
            return redirect(ticket)
        try:
            services.ticket_update(actor=request.user, ticket=ticket, **changes)
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect(ticket)
        except ValidationError as exc:
            apply_errors(form, exc, aliases=FILE_ERRORS)
        else:
            if not permissions.can(request.user, Action.VIEW, Ticket.objects.get(pk=ticket.pk)):
                messages.success(
                    request,
                    _("Ticket #%(number)s moved to another team; you no longer work it.") % {"number": ticket.pk},
                )
                return redirect("agent:queue")
            messages.success(request, _("Ticket updated."))
            return redirect(ticket)
    ticket = selectors.ticket_get_for_user(request.user, pk)
    return _render_ticket(request, ticket, fields_form=form, status=400)


@agent_required
@require_POST
def ticket_claim(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, pk)
    try:
        services.ticket_claim(actor=request.user, ticket=ticket, force=request.POST.get("force") == "1")
    except Conflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("You now hold this ticket."))
    return redirect(ticket)


@agent_required
@require_POST
def ticket_release(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Give back a ticket one holds: unassigned again, for anyone to claim."""
    ticket = selectors.ticket_get_for_user(request.user, pk)
    try:
        services.ticket_release(actor=request.user, ticket=ticket)
    except Conflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("You released this ticket: it is unassigned again."))
    return redirect(ticket)


@agent_required
@require_POST
def collaborator_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, pk)
    form = CollaboratorForm(request.POST)
    if form.is_valid():
        try:
            person = services.collaborator_add(actor=request.user, ticket=ticket, email=form.cleaned_data["email"])
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect(ticket)
        except ValidationError as exc:
            apply_errors(form, exc, aliases=FILE_ERRORS)
        else:
            messages.success(request, _("%(name)s can now read and reply to this ticket.") % {"name": person.name})
            return redirect(ticket)
    ticket = selectors.ticket_get_for_user(request.user, pk)
    return _render_ticket(request, ticket, collaborator_form=form, status=400)


@agent_required
@require_POST
def collaborator_remove(request: AuthenticatedHttpRequest, pk: int, user_id: int) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, pk)
    person = ticket.collaborators.filter(pk=user_id).first()
    if person is None:
        raise Http404("No such collaborator.")
    services.collaborator_remove(actor=request.user, ticket=ticket, user=person)
    messages.success(request, _("%(name)s no longer has access to this ticket.") % {"name": person.name})
    return redirect(ticket)
