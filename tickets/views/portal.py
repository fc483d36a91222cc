"""The customer portal (DESIGN §7): My tickets, a new ticket, one ticket's page and its actions.

Every view: selector (scoped by permissions) → form → service → message → redirect. The portal
shows the public side of a ticket only, whoever looks: internal notes, internal events and files
on notes are filtered out here on top of the selectors' own rules.
"""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from helpdesk.forms import apply_errors
from tickets import permissions, selectors, services
from tickets.exceptions import Conflict
from tickets.forms import custom_fields as custom_fields_form
from tickets.forms.portal import ReplyForm, TicketForm
from tickets.models import Status, Ticket
from tickets.permissions import Action
from tickets.satisfaction import forms as satisfaction_forms
from tickets.selectors import custom_fields as custom_field_selectors

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PAGE_SIZE = 25
FILTER_LABELS = [
    ("all", pgettext_lazy("tickets filter", "All")),
    ("open", pgettext_lazy("tickets filter", "Open")),
    ("waiting", pgettext_lazy("tickets filter", "Waiting on you")),
    ("solved", pgettext_lazy("tickets filter", "Solved")),
    ("closed", pgettext_lazy("tickets filter", "Closed")),
]


def customer_portal(view):
    """The portal is the customers' side; agents and admins go to their own home instead."""

    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args, **kwargs) -> HttpResponse:
        if not permissions.uses_portal(request.user):
            return redirect("home")
        return view(request, *args, **kwargs)

    return wrapper


@customer_portal
def my_tickets(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "all")
    if status not in selectors.PORTAL_FILTERS:
        status = "all"
    q = request.GET.get("q", "").strip()[:200]
    page = selectors.my_tickets_page(request.user, status=status, q=q, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    return render(
        request,
        "portal/my_tickets.html",
        {
            "page": page,
            "status": status,
            "q": q,
            "filters": FILTER_LABELS,
            "filter_label": dict(FILTER_LABELS)[status],
            "nav": "my_tickets",
        },
    )


def _follow_up_source(request: AuthenticatedHttpRequest, value) -> Ticket | None:
    """The ticket a new one follows up, if the customer may see it (else no reference at all)."""
    if value in (None, ""):
        return None
    try:
        return selectors.ticket_get_for_user(request.user, value)
    except Http404:
        return None


@customer_portal
def new_ticket(request: AuthenticatedHttpRequest) -> HttpResponse:
    custom_fields = custom_field_selectors.fields_for_new_ticket(request.user)
    if request.method == "POST":
        form = TicketForm(request.POST, request.FILES, custom_fields=custom_fields)
        follow_up = _follow_up_source(request, request.POST.get("follow_up_of"))
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.ticket_create(
                    actor=request.user,
                    subject=data["subject"],
                    description=data["description"],
                    priority=data["priority"],
                    category=data["category"] or None,
                    attachments=data["attachments"],
                    metadata={"follow_up_of": follow_up.pk} if follow_up else None,
                    custom_fields=form.custom_field_values(),
                )
            except ValidationError as exc:
                apply_errors(form, exc, aliases=custom_fields_form.aliases(custom_fields))
            else:
                messages.success(
                    request, _("Ticket #%(number)s is filed. We will answer here and by email.") % {"number": ticket.pk}
                )
                return redirect("portal:ticket", pk=ticket.pk)
        status_code = 400
    else:
        follow_up = _follow_up_source(request, request.GET.get("follow_up"))
        initial = {}
        if follow_up is not None:
            initial = {
                "subject": (
                    _("Follow-up to #%(number)s: %(subject)s") % {"number": follow_up.pk, "subject": follow_up.subject}
                )[:150],
                "follow_up_of": follow_up.pk,
                "category": follow_up.category or "",
            }
        form = TicketForm(initial=initial, custom_fields=custom_fields)
        status_code = 200
    return render(
        request,
        "portal/new_ticket.html",
        {"form": form, "follow_up": follow_up, "nav": "new_ticket"},
        status=status_code,
    )


def _render_ticket(
    request: AuthenticatedHttpRequest, ticket: Ticket, *, reply_form: ReplyForm, status: int = 200
) -> HttpResponse:
    user = request.user
    conversation = selectors.conversation_for(user, ticket, email_flags=False, public_only=True)
    history = selectors.portal_history_for(user, ticket)
    context = {
        "ticket": ticket,
        "conversation": conversation.messages,
        "files": conversation.files,
        "history": history,
        "reply_form": reply_form,
        "can_reply": permissions.can(user, Action.REPLY, ticket) and not ticket.is_closed,
        "can_solve": permissions.can(user, Action.SOLVE, ticket),
        "is_requester": ticket.requester_id == user.pk,
        "follow_up_of": _follow_up_reference(ticket),
        "custom_fields": [f for f in custom_field_selectors.fields_for_ticket(user, ticket) if f.value is not None],
        **satisfaction_forms.portal_context(user, ticket),  # the survey card (tickets.satisfaction)
        "Status": Status,
        "nav": "my_tickets",
    }
    return render(request, "portal/ticket.html", context, status=status)


def _follow_up_reference(ticket: Ticket) -> int | None:
    """The id in ``metadata["follow_up_of"]`` when it is one (metadata can come from the API)."""
    value = (ticket.metadata or {}).get("follow_up_of") if isinstance(ticket.metadata, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@customer_portal
def ticket(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get_for_portal_page(request.user, pk)
    services.ticket_mark_seen(actor=request.user, ticket=ticket)
    services.notification_mark_read_for_ticket(actor=request.user, ticket=ticket)
    return _render_ticket(request, ticket, reply_form=ReplyForm())


@require_POST
@customer_portal
def reply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, pk)
    permissions.authorize(request.user, Action.REPLY, ticket)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.message_add(
                actor=request.user,
                ticket=ticket,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("portal:ticket", pk=ticket.pk)
        else:
            messages.success(request, _("Your reply is added."))
            return redirect(reverse("portal:ticket", args=[ticket.pk]) + "#reply")
    return _render_ticket(request, ticket, reply_form=form, status=400)


def _change_status(request: AuthenticatedHttpRequest, pk: int, new_status: str, done: StrOrPromise) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, pk)
    permissions.authorize(request.user, Action.SOLVE, ticket)
    try:
        services.ticket_change_status(actor=request.user, ticket=ticket, status=new_status)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("portal:ticket", pk=ticket.pk)


@require_POST
@customer_portal
def solve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _change_status(
        request, pk, Status.SOLVED, _("Marked as solved. Reply or reopen it if the problem comes back.")
    )


@require_POST
@customer_portal
def reopen(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _change_status(request, pk, Status.OPEN, _("Reopened. The support team will pick it up again."))
