"""The Django admin for tickets: read-mostly.

Tickets are worked in the agent workspace, where services keep history and access in step; the
admin shows them with their conversation and history (read-only) and lets admins delete a
ticket through ``services.ticket_delete``. Tags can be renamed or merged away here.
"""

from __future__ import annotations

from django.contrib import admin

from tickets import permissions, services
from tickets.models import Message, Tag, Ticket, TicketEvent


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
    verbose_name = "history event"
    verbose_name_plural = "history"


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

    @admin.display(description="Tags")
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
