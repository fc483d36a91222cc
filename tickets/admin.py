"""The Django admin for tickets: read-mostly.

Tickets are worked in the agent workspace, where services keep history and access in step; the
admin shows them with their conversation and history (read-only) and lets admins delete a
ticket through ``services.ticket_delete``. Tags can be renamed or merged away here.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from accounts.addresses import normalize_email
from tickets import permissions, services
from tickets.models import InboundMessage, InboundState, Mailbox, Message, Tag, Ticket, TicketEvent


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MessageInline(_ReadOnlyInline):
    model = Message
    fields = ("created_at", "author_name", "author_role", "internal", "body")
    readonly_fields = fields
    ordering = ["created_at", "id"]


class TicketEventInline(_ReadOnlyInline):
    model = TicketEvent
    fields = ("created_at", "actor_name", "kind", "data", "public")
    readonly_fields = fields
    ordering = ["created_at", "id"]
    verbose_name = _("history event")
    verbose_name_plural = _("history")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "status", "priority", "requester", "assignee", "team", "updated_at"]
    list_filter = ["status", "priority", "category", "channel", "team"]
    search_fields = ["subject", "requester__email", "requester__name"]
    list_select_related = ["requester", "assignee", "team"]
    date_hierarchy = "created_at"
    inlines = [MessageInline, TicketEventInline]
    readonly_fields = [
        "subject",
        "status",
        "priority",
        "category",
        "channel",
        "tag_names",
        "requester",
        "created_by",
        "assignee",
        "team",
        "organization",
        "metadata",
        "created_at",
        "updated_at",
        "first_response_at",
        "solved_at",
        "closed_at",
    ]
    fields = tuple(readonly_fields)

    @admin.display(description=_("Tags"))
    def tag_names(self, ticket):
        return ", ".join(tag.name for tag in ticket.tags.all()) or "—"

    def has_add_permission(self, request):
        return False  # tickets are filed through the portal, the API or the agent workspace

    def has_change_permission(self, request, obj=None):
        return False  # changes go through the agent workspace, which records history

    def has_delete_permission(self, request, obj=None):
        return permissions.may_use_ticket_admin(request.user)

    def delete_model(self, request, obj):
        services.ticket_delete(actor=request.user, ticket=obj)

    def delete_queryset(self, request, queryset):
        for ticket in queryset.order_by("pk"):
            services.ticket_delete(actor=request.user, ticket=ticket)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


# --- the email channel (tickets.mail) --------------------------------------------------------


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["address", "team", "default_priority", "allow_unknown_senders", "add_cc_as_collaborators", "active"]
    list_filter = ["active", "allow_unknown_senders"]
    search_fields = ["address"]
    fields = [
        "address",
        "team",
        "default_priority",
        "default_tags",
        "allow_unknown_senders",
        "add_cc_as_collaborators",
        "active",
    ]

    def save_model(self, request, obj, form, change):
        obj.address = normalize_email(obj.address)  # the one normal form lookups compare
        super().save_model(request, obj, form, change)


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """Every message as it arrived: read-only, the raw source shown as text; quarantined ones
    can be processed again (the action)."""

    list_display = ["id", "received_at", "door", "mailbox", "envelope_sender", "state", "ticket", "short_reason"]
    list_filter = ["state", "door", "mailbox"]
    search_fields = ["message_id", "envelope_sender", "reason"]
    list_select_related = ["mailbox", "ticket"]
    date_hierarchy = "received_at"
    actions = ["process_again"]
    readonly_fields = (
        "received_at",
        "door",
        "mailbox",
        "envelope_sender",
        "envelope_recipients",
        "message_id",
        "size",
        "sha256",
        "state",
        "reason_in_your_language",
        "attempts",
        "processed_at",
        "ticket",
        "ticket_message",
        "source",
    )
    fields = readonly_fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # The list never reads the raw bytes (up to 25 MB a row); the page of one message does.
        return (
            queryset
            if request.resolver_match and request.resolver_match.url_name.endswith("_change")
            else queryset.defer("raw")
        )

    @admin.display(description=_("reason"))
    def short_reason(self, inbound):
        return Truncator(inbound.shown_reason).chars(80)

    @admin.display(description=_("reason"))
    def reason_in_your_language(self, inbound):
        return inbound.shown_reason

    @admin.display(description=_("raw source"))
    def source(self, inbound):
        text = bytes(inbound.raw).decode("utf-8", errors="replace")
        if inbound.truncated:
            text += "\n" + str(_("[Only the headers were kept: the message was over the size limit.]"))
        return format_html('<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto;">{}</pre>', text)

    def has_add_permission(self, request):
        return False  # mail arrives through the doors (receive_mail), never typed in

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Process again (quarantined and waiting messages)"))
    def process_again(self, request, queryset):
        from tickets.mail import processing

        done: dict[str, int] = {}
        for pk in queryset.exclude(state__in=[InboundState.PROCESSED, InboundState.IGNORED]).values_list(
            "pk", flat=True
        ):
            state = processing.process(pk, again=True)
            done[state] = done.get(state, 0) + 1
        states = dict(InboundState.choices)  # the states' names in the reader's language
        summary = ", ".join(
            f"{count} {str(states.get(state, state)).lower()}" for state, count in sorted(done.items())
        ) or _("nothing to process")
        self.message_user(request, _("Processed again: %(summary)s.") % {"summary": summary})
