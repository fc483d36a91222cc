"""Settings → Mailboxes: the addresses mail arrives at (routing, defaults, IMAP polling) and the
recent inbound messages, quarantined ones with "Process again".

Registered in the settings area by ``TicketsConfig.ready()`` (``accounts.settings_pages.registry``),
so ``accounts`` never imports ``tickets``. Views use the settings area's one permission check and
layout (``accounts.settings_pages.common``); every change goes through ``tickets.mail.services``
with its audit entry (``accounts.audit``) in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BinaryField, Case, F, Func, Value, When
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit
from accounts.http import AuthenticatedHttpRequest
from accounts.models import Team
from accounts.settings_pages import common
from accounts.settings_pages.common import settings_view
from accounts.settings_pages.forms import RecordChoiceField
from helpdesk.forms import apply_errors, error_text
from tickets.mail import parsing, services
from tickets.mail.models import ImapSecurity, InboundMessage, InboundState, Mailbox
from tickets.models import Priority

SECTION = "mailboxes"


# --- forms ---------------------------------------------------------------------------------------


class MailboxForm(forms.Form):
    address = forms.EmailField(label=gettext_lazy("Address"), max_length=254)
    team = RecordChoiceField(
        label=gettext_lazy("Team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("No team"),
        help_text=gettext_lazy("New tickets from this address are routed to this team."),
    )
    default_priority = forms.ChoiceField(label=gettext_lazy("Default priority"), choices=Priority.choices)
    default_tags = forms.CharField(
        label=gettext_lazy("Default tags"),
        required=False,
        max_length=600,
        help_text=gettext_lazy("Tags for new tickets, separated by commas."),
    )
    allow_unknown_senders = forms.BooleanField(
        label=gettext_lazy("Allow unknown senders"),
        required=False,
        help_text=gettext_lazy(
            "Mail from an address with no account opens a ticket (and a customer account without a password)."
        ),
    )
    add_cc_as_collaborators = forms.BooleanField(
        label=gettext_lazy("Cc as collaborators"),
        required=False,
        help_text=gettext_lazy("Customers in Cc become collaborators of the ticket."),
    )
    active = forms.BooleanField(
        label=gettext_lazy("Active"),
        required=False,
        help_text=gettext_lazy("An inactive mailbox is not polled; mail to it goes to the default mailbox."),
    )
    imap_host = forms.CharField(
        label=gettext_lazy("IMAP host"),
        required=False,
        max_length=255,
        help_text=gettext_lazy("Leave empty when mail reaches the desk by SMTP, a pipe or a provider."),
    )
    imap_port = forms.IntegerField(
        label=gettext_lazy("IMAP port"),
        required=False,
        min_value=1,
        max_value=65535,
        help_text=gettext_lazy("Empty: 993 with SSL/TLS, 143 otherwise."),
    )
    imap_security = forms.ChoiceField(label=gettext_lazy("IMAP security"), choices=ImapSecurity.choices)
    imap_username = forms.CharField(label=gettext_lazy("IMAP username"), required=False, max_length=255)
    imap_password = forms.CharField(
        label=gettext_lazy("IMAP password"),
        required=False,
        max_length=1000,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, password_set: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["imap_password"].help_text = (
            gettext_lazy("A password is set. Type a new one to replace it; leave empty to keep it.")
            if password_set
            else gettext_lazy("Not set. Stored encrypted and never shown again.")
        )

    def clean_default_tags(self) -> list[str]:
        text = self.cleaned_data.get("default_tags", "")
        return [tag.strip() for tag in text.split(",") if tag.strip()]

    def service_data(self) -> tuple[dict[str, Any], str | None]:
        data = dict(self.cleaned_data)
        password = data.pop("imap_password", "") or None
        return data, password


def _initial(mailbox: Mailbox) -> dict[str, Any]:
    return {
        "address": mailbox.address,
        "team": mailbox.team_id,
        "default_priority": mailbox.default_priority,
        "default_tags": ", ".join(mailbox.default_tags or []),
        "allow_unknown_senders": mailbox.allow_unknown_senders,
        "add_cc_as_collaborators": mailbox.add_cc_as_collaborators,
        "active": mailbox.active,
        "imap_host": mailbox.imap_host,
        "imap_port": mailbox.imap_port,
        "imap_security": mailbox.imap_security,
        "imap_username": mailbox.imap_username,
    }


class InboundFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("State"), required=False, choices=[("", gettext_lazy("Every state")), *InboundState.choices]
    )


# --- views ---------------------------------------------------------------------------------------


@settings_view
@require_http_methods(["GET"])
def mailboxes(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = Mailbox.objects.select_related("team").order_by("address")
    quarantined = InboundMessage.objects.filter(state=InboundState.QUARANTINED).count()
    return common.render_page(
        request,
        "settings/mailboxes.html",
        {"mailboxes": rows, "quarantined": quarantined},
        section=SECTION,
        landing=True,
    )


@settings_view
@require_http_methods(["GET", "POST"])
def mailbox_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    initial = {"default_priority": Priority.NORMAL, "allow_unknown_senders": True, "add_cc_as_collaborators": True}
    form = MailboxForm(request.POST if request.method == "POST" else None, initial={**initial, "active": True})
    if request.method == "POST" and form.is_valid():
        data, password = form.service_data()
        try:
            with transaction.atomic():
                mailbox = services.mailbox_create(password=password, **data)
                audit.record_addition(request.user, mailbox, services.mailbox_values(mailbox))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Mailbox %(address)s is created.") % {"address": mailbox.address})
            return redirect("settings:mailbox", mailbox.pk)
    return common.render_page(
        request,
        "settings/mailbox.html",
        {"form": form, "mailbox": None},
        section=SECTION,
        status=400 if request.method == "POST" else 200,
    )


@settings_view
@require_http_methods(["GET", "POST"])
def mailbox(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A mailbox's settings; POST changes them (an empty password field keeps the password)."""
    box = common.get_or_404(Mailbox.objects.select_related("team"), pk)
    if request.method == "GET":
        form = MailboxForm(initial=_initial(box), password_set=bool(box.imap_password_encrypted))
        return common.render_page(request, "settings/mailbox.html", {"form": form, "mailbox": box}, section=SECTION)
    form = MailboxForm(request.POST, password_set=bool(box.imap_password_encrypted))
    if form.is_valid():
        data, password = form.service_data()
        try:
            with audit.changing(request.user, box, services.mailbox_values):
                services.mailbox_update(mailbox=box, password=password, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
            box = common.get_or_404(Mailbox.objects.select_related("team"), pk)
        else:
            messages.success(request, _("Mailbox %(address)s is saved.") % {"address": box.address})
            return redirect("settings:mailbox", box.pk)
    return common.render_page(
        request, "settings/mailbox.html", {"form": form, "mailbox": box}, section=SECTION, status=400
    )


@settings_view
@require_http_methods(["GET"])
def inbound_messages(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Recent messages as they arrived, newest first, with their state and reason (never the raw
    bytes: two queries a page, the count and the rows)."""
    form = InboundFilterForm(request.GET or None)
    rows = (
        InboundMessage.objects.defer("raw")
        .select_related("mailbox", "ticket")
        .annotate(head=_HEAD_WITHOUT_ENVELOPE)
        .order_by("-received_at", "-pk")
    )
    state = form.cleaned_data.get("state") if form.is_valid() else ""
    if state:
        rows = rows.filter(state=state)
    page = common.page_of(request, rows)
    for inbound in page:
        inbound.sender_shown, inbound.sender_from_header = _sender_of(inbound)
    return common.render_page(
        request,
        "settings/inbound_messages.html",
        {"form": form, "page": page, "query": common.query_without_page(request), "retryable": RETRYABLE},
        section=SECTION,
    )


RETRYABLE = (InboundState.QUARANTINED, InboundState.RECEIVED)
# The first bytes of the raw message (its headers, up to the size parsing.header_block reads), only
# for a message that came without an envelope (IMAP, a pipe without --sender, a webhook without
# one): its sender is then the From header. SUBSTR works on bytea (PostgreSQL) and BLOB (SQLite).
_HEAD_WITHOUT_ENVELOPE = Case(
    When(
        envelope_sender="",
        then=Func(F("raw"), Value(1), Value(64 * 1024), function="SUBSTR", output_field=BinaryField()),
    ),
    default=Value(b""),
    output_field=BinaryField(),
)


def _sender_of(inbound: InboundMessage) -> tuple[str, bool]:
    """Who sent ``inbound``: the envelope sender, else the From header's address; and whether it
    is the From header."""
    if inbound.envelope_sender:
        return inbound.envelope_sender, False
    head = bytes(getattr(inbound, "head", b"") or b"")
    found = parsing.addresses(parsing.headers_only(parsing.header_block(head)), "from") if head else []
    return (found[0][1], True) if found else ("", False)


@audit.untranslated
def _state_values(state: str) -> dict[str, str]:
    return {gettext_noop("State"): str(InboundState(state).label)}


@settings_view
@require_POST
def inbound_process(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Process a quarantined message again (no confirmation: it can only do what delivery does)."""
    inbound = common.get_or_404(InboundMessage.objects.defer("raw"), pk)
    before = _state_values(inbound.state)
    try:
        state = services.inbound_process_again(inbound=inbound)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("settings:inbound_messages")
    inbound.refresh_from_db(fields=["state", "reason", "reason_parts"])
    audit.record_change(request.user, inbound, before, _state_values(state))
    if state == InboundState.QUARANTINED:
        messages.error(
            request,
            _("Message %(id)s is still quarantined: %(reason)s") % {"id": inbound.pk, "reason": inbound.shown_reason},
        )
    else:
        label = InboundState(state).label
        messages.success(request, _("Message %(id)s is now: %(state)s.") % {"id": inbound.pk, "state": label})
    return redirect("settings:inbound_messages")


urlpatterns = [
    path("", mailboxes, name="mailboxes"),
    path("new/", mailbox_new, name="mailbox_new"),
    path("<int:pk>/", mailbox, name="mailbox"),
    path("messages/", inbound_messages, name="inbound_messages"),
    path("messages/<int:pk>/process/", inbound_process, name="inbound_process"),
]
