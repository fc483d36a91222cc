"""Tickets, their conversation, attachments and history (DESIGN §3).

Models hold data and its database constraints only; the rules for changing them live in
``tickets.services`` and the rules for seeing them in ``tickets.permissions``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class Status(models.TextChoices):
    OPEN = "open", pgettext_lazy("ticket status", "Open")
    IN_PROGRESS = "in_progress", pgettext_lazy("ticket status", "In progress")
    PENDING = "pending", pgettext_lazy("ticket status", "Pending")
    ON_HOLD = "on_hold", pgettext_lazy("ticket status", "On hold")
    SOLVED = "solved", pgettext_lazy("ticket status", "Solved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


#: Everything the support team still has to act on (the queue's unsolved views).
UNSOLVED_STATUSES = (Status.OPEN, Status.IN_PROGRESS, Status.PENDING, Status.ON_HOLD)


class Priority(models.TextChoices):
    URGENT = "urgent", pgettext_lazy("ticket priority", "Urgent")
    HIGH = "high", pgettext_lazy("ticket priority", "High")
    NORMAL = "normal", pgettext_lazy("ticket priority", "Normal")
    LOW = "low", pgettext_lazy("ticket priority", "Low")


# Urgency order for sorting: urgent first. Stored in a generated column so it can be indexed.
PRIORITY_RANK: dict[str, int] = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}
# Lifecycle order, for sorting by status.
STATUS_RANK: dict[str, int] = {
    Status.OPEN: 0,
    Status.IN_PROGRESS: 1,
    Status.PENDING: 2,
    Status.ON_HOLD: 3,
    Status.SOLVED: 4,
    Status.CLOSED: 5,
}


class Category(models.TextChoices):
    BILLING = "billing", pgettext_lazy("ticket category", "Billing")
    TECHNICAL = "technical", pgettext_lazy("ticket category", "Technical")
    ACCOUNT = "account", pgettext_lazy("ticket category", "Account")
    FEATURE_REQUEST = "feature_request", pgettext_lazy("ticket category", "Feature request")
    BUG = "bug", pgettext_lazy("ticket category", "Bug")
    SECURITY = "security", pgettext_lazy("ticket category", "Security")
    OTHER = "other", pgettext_lazy("ticket category", "Other")


class Channel(models.TextChoices):
    WEB = "web", pgettext_lazy("ticket channel", "Web")
    API = "api", pgettext_lazy("ticket channel", "API")
    EMAIL = "email", pgettext_lazy("ticket channel", "Email")
    AGENT = "agent", pgettext_lazy("ticket channel", "Agent")


def _rank_expression(ranks: dict[str, int], field: str) -> models.Case:
    return models.Case(
        *[models.When(**{field: value}, then=models.Value(rank)) for value, rank in ranks.items()],
        default=models.Value(99),
        output_field=models.SmallIntegerField(),
    )


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(name__regex=r"^[a-z0-9_-]{1,50}$"), name="tag_name_lowercase_slug"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    subject = models.CharField(max_length=150)
    status = models.CharField(max_length=16, choices=Status, default=Status.OPEN)
    priority = models.CharField(max_length=8, choices=Priority, default=Priority.NORMAL)
    priority_rank = models.GeneratedField(
        expression=_rank_expression(PRIORITY_RANK, "priority"),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    status_rank = models.GeneratedField(
        expression=_rank_expression(STATUS_RANK, "status"),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    # NULL, not "": the API distinguishes "no category" (null) from a category.
    category = models.CharField(max_length=16, choices=Category, null=True, blank=True)  # noqa: DJ001
    channel = models.CharField(max_length=8, choices=Channel, default=Channel.WEB)
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    metadata = models.JSONField(default=dict, blank=True)
    # The desk's own fields (``TicketField``), ``{"key": value}``; GIN-indexed on PostgreSQL.
    custom_fields = models.JSONField(default=dict, blank=True, db_default={})
    # A ticket always has a requester; a customer with tickets is deactivated, not deleted.
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    # A team with tickets cannot be deleted until its tickets are moved: their routing is deliberate.
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    collaborators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="collaborating_tickets")
    created_at = models.DateTimeField(default=timezone.now)
    # Any change, internal work included: what agents sort, filter and version tickets by.
    updated_at = models.DateTimeField(default=timezone.now)
    # The last change the requester can see (a public history event: a reply, a status, priority,
    # subject or assignee change, a shared file...). What "last updated" means to everyone who
    # may not read internal content (tickets.permissions.activity_column): an internal note, a
    # tag or a team move must not reorder My tickets, match ?updated_after= or change an ETag.
    # The database default covers rows written by code that predates the column (a rolling deploy).
    public_activity_at = models.DateTimeField(default=timezone.now, db_default=Now())
    first_response_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The earliest breach_at of the ticket's SLA clocks that are running or breached and not yet
    # met (None: nothing is due). Denormalized from tickets.sla.models.SlaClock by sla_refresh, so
    # the queue sorts by it ("Next breach first"), filters on it ("Breaching within 1 h",
    # "Breached", ?sla_breach_before=) and counts it off its own index, without a join per row.
    sla_breach_at = models.DateTimeField(null=True, blank=True)
    # Not columns: set by services.ticket_create on the ticket it returns (what it was opened with).
    opening_message: Message
    opening_tags: list[str]

    class Meta:
        ordering = ["-updated_at", "-id"]
        permissions = [
            # Cumulative levels, checked by tickets.permissions: each one includes those above it.
            ("reply_ticket", "Can reply publicly to the ticket"),
            ("solve_ticket", "Can mark the ticket solved and reopen it"),
            ("work_ticket", "Can work the ticket as an agent (internal notes, fields, assignment)"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=Status.values), name="ticket_status_valid"),
            models.CheckConstraint(condition=models.Q(priority__in=Priority.values), name="ticket_priority_valid"),
            models.CheckConstraint(
                condition=models.Q(category__isnull=True) | models.Q(category__in=Category.values),
                name="ticket_category_valid",
            ),
            models.CheckConstraint(condition=models.Q(channel__in=Channel.values), name="ticket_channel_valid"),
            models.CheckConstraint(
                condition=models.Q(subject__regex=r"^.{5,150}$") & ~models.Q(subject__contains="\n"),
                name="ticket_subject_length",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=Status.CLOSED) | models.Q(closed_at__isnull=False),
                name="ticket_closed_has_closed_at",
            ),
        ]
        indexes = [
            # Agent queue, default order: "all tickets by newest activity" and its cursor.
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated_idx"),
            # Queue views by status (open, pending, on hold, solved) in activity order.
            models.Index(fields=["status", "-updated_at", "-id"], name="ticket_status_updated_idx"),
            # "Mine" and per-assignee views.
            models.Index(fields=["assignee", "-updated_at", "-id"], name="ticket_assignee_updated_idx"),
            # "My teams" and team-scoped agents.
            models.Index(fields=["team", "-updated_at", "-id"], name="ticket_team_updated_idx"),
            # The requester's other tickets on the agent page, and the API's requester filter.
            models.Index(fields=["requester", "-updated_at", "-id"], name="ticket_requester_updated_idx"),
            # Portal "My tickets": a page of the customer's own requests in their order
            # (``permissions.visible_parts``), however many they filed.
            models.Index(fields=["requester", "-public_activity_at", "-id"], name="ticket_requester_activity_idx"),
            # Organization-shared portal lists.
            models.Index(fields=["organization", "-updated_at", "-id"], name="ticket_org_updated_idx"),
            # The default queue view, "Unassigned" (unsolved, nobody assigned), in activity order: the
            # partial index holds just those rows, so a first page is read off it in order, for a
            # team agent too (team queue 239 -> 57 ms at 1M tickets; docs/perf/queue_default_team_agent.txt).
            models.Index(
                fields=["-updated_at", "-id"],
                name="ticket_unassigned_updated_idx",
                condition=models.Q(assignee__isnull=True, status__in=UNSOLVED_STATUSES),
            ),
            # "My teams" (unsolved tickets of the agent's teams) in activity order, and its count.
            models.Index(
                fields=["team", "-updated_at", "-id"],
                name="ticket_team_unsolved_idx",
                condition=models.Q(status__in=UNSOLVED_STATUSES),
            ),
            # Unsolved tickets of one priority in activity order ("open and pending, high priority",
            # the queue's and the API's filters, saved views): read in order off that priority's
            # unsolved rows instead of skipping through every ticket's activity order for them
            # (the API list of open/pending high tickets 7.6 -> 0.3 ms at 1M; BENCHMARKS.md).
            models.Index(
                fields=["priority", "-updated_at", "-id"],
                name="ticket_priority_unsolved_idx",
                condition=models.Q(status__in=UNSOLVED_STATUSES),
            ),
            # Queue and API sorted by urgency, lifecycle or age (either direction; the cursor goes on
            # by id): without them "urgent first" sorted every matching ticket (874 -> 0.5 ms at 1M).
            models.Index(fields=["priority_rank", "id"], name="ticket_priority_idx"),
            models.Index(fields=["status_rank", "id"], name="ticket_status_rank_idx"),
            models.Index(fields=["created_at", "id"], name="ticket_created_idx"),
            # "Next breach first" (NULLS LAST, then by id) with its cursor, and the SLA views:
            # the tickets due before a moment are one range of it.
            models.Index(fields=["sla_breach_at", "id"], name="ticket_sla_breach_idx"),
            # "Most urgent first" (the queue's SLA-aware sort, ``listing.SORTS["urgency"]``): the
            # next breach (NULLS LAST), then priority and id for the tickets with nothing due; read
            # forwards and backwards ("Least urgent first"), pages by its cursor.
            models.Index(fields=["sla_breach_at", "priority_rank", "id"], name="ticket_urgency_idx"),
            # The same order over the default view's rows (unassigned, unsolved): a team agent's
            # "Most urgent first" reads it in order and stops at the page instead of sorting
            # every unassigned ticket it may see (docs/perf/sla-1m.md).
            models.Index(
                fields=["sla_breach_at", "priority_rank", "id"],
                name="ticket_unassigned_urgency_idx",
                condition=models.Q(assignee__isnull=True, status__in=UNSOLVED_STATUSES),
            ),
            # Statistics: the tickets solved in a period (only solved tickets have the column set),
            # first responses in a period, and the open tickets held by each assignee.
            models.Index(fields=["solved_at"], name="ticket_solved_idx", condition=models.Q(solved_at__isnull=False)),
            models.Index(
                fields=["first_response_at"],
                name="ticket_first_response_idx",
                condition=models.Q(first_response_at__isnull=False),
            ),
            models.Index(
                fields=["assignee", "team"],
                name="ticket_assigned_unsolved_idx",
                condition=models.Q(assignee__isnull=False, status__in=UNSOLVED_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("agent:ticket", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED


class Message(models.Model):
    """One entry of the conversation: a public reply or an agent's internal note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    # Kept when the author's account is deleted, so the conversation still says who wrote what.
    author_name = models.CharField(max_length=150)
    author_role = models.CharField(max_length=16, default="customer")
    body = models.TextField()
    internal = models.BooleanField(default=False, help_text=_("An internal note: agents only."))
    created_at = models.DateTimeField(default=timezone.now)
    # Not a column: the message's files as a page shows them, set by selectors.conversation_for.
    files: list[Attachment]

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(author_role__in=["customer", "agent", "admin"]), name="message_author_role_valid"
            ),
        ]
        indexes = [
            # The conversation of one ticket, oldest first (portal, agent timeline, API messages).
            models.Index(fields=["ticket", "created_at", "id"], name="message_ticket_created_idx"),
            # Statistics: public staff replies in a period (a few percent of all messages), read
            # without the table: before, the period was found by reading all 4.2M index entries.
            models.Index(
                fields=["created_at", "ticket", "author"],
                name="message_staff_reply_idx",
                condition=models.Q(internal=False, author_role__in=["agent", "admin"]),
            ),
        ]

    def __str__(self) -> str:
        kind = "note" if self.internal else "reply"
        return f"{kind} by {self.author_name} on #{self.ticket_id}"


class SearchDocument(models.Model):
    """What full-text search matches a ticket by (PostgreSQL; see ``tickets.search``).

    Kept in its own table so ticket lists never read the vectors. Rebuilt by services in the
    transaction that changes the subject or adds a message. On SQLite the table stays empty.
    """

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, primary_key=True, related_name="search_document")
    # The subject (weight A) and every public reply: what customers and agents both match.
    public = SearchVectorField(null=True)
    # Internal notes: matched for agents only.
    internal = SearchVectorField(null=True)

    def __str__(self) -> str:
        return f"search document of #{self.ticket_id}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    # An opaque storage key (never the user's file name): attachments/<yyyy>/<mm>/<random>.
    file = models.FileField(max_length=255)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # Copied from the message at upload so "attachments a customer may see" is one indexed filter.
    internal = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    # Not a column: the page's download address, set by tickets.timeline on the instances it shows.
    download_url: str | None

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gt=0), name="attachment_not_empty"),
        ]
        indexes = [models.Index(fields=["ticket", "created_at"], name="attachment_ticket_idx")]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        """Whether the pages show a preview (``attachments:preview``) of this file."""
        return self.content_type in {"image/png", "image/jpeg", "image/gif", "image/webp"}


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATUS_CHANGED = "status_changed", _("Status changed")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    ASSIGNED = "assigned", _("Assignee changed")
    TEAM_CHANGED = "team_changed", _("Team changed")
    TAGS_CHANGED = "tags_changed", _("Tags changed")
    CATEGORY_CHANGED = "category_changed", _("Category changed")
    SUBJECT_CHANGED = "subject_changed", _("Subject changed")
    MESSAGE_ADDED = "message_added", _("Reply added")
    NOTE_ADDED = "note_added", _("Internal note added")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    COLLABORATOR_ADDED = "collaborator_added", _("Collaborator added")
    COLLABORATOR_REMOVED = "collaborator_removed", _("Collaborator removed")
    CUSTOM_FIELD_CHANGED = "custom_field_changed", _("Custom field changed")
    # Service level agreements (tickets.sla): internal events, written by the SLA refresh and sweeper.
    SLA_POLICY_APPLIED = "sla_policy_applied", _("SLA policy applied")
    SLA_FULFILLED = "sla_fulfilled", _("SLA target fulfilled")
    SLA_WARNING = "sla_warning", _("SLA target breaches soon")
    SLA_BREACHED = "sla_breached", _("SLA target breached")
    # Customer satisfaction (tickets.satisfaction): the requester answered the survey of a solve.
    SATISFACTION_RATED = "satisfaction_rated", _("Satisfaction rated")
    # Data protection (tickets.privacy): a person in the ticket was erased, or the ticket was
    # anonymized by the retention policy. Names no one: the old name must not survive here.
    PERSON_ERASED = "person_erased", _("Person erased")
    TICKET_ANONYMIZED = "ticket_anonymized", _("Ticket anonymized")


class TicketEvent(models.Model):
    """One entry of a ticket's history. Written by services only, never edited."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The actor's name at the time; "System" for automatic changes. Survives account deletion.
    actor_name = models.CharField(max_length=150)
    kind = models.CharField(max_length=32, choices=EventKind)
    data = models.JSONField(default=dict, blank=True)
    public = models.BooleanField(default=True, help_text=_("Whether the requester may see this event."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=EventKind.values), name="event_kind_valid"),
        ]
        indexes = [
            # A ticket's history, oldest first.
            models.Index(fields=["ticket", "created_at", "id"], name="event_ticket_created_idx"),
            # Statistics: solves and reopens in a period, out of 10M events (seq scan: 300 ms at 1M).
            models.Index(
                fields=["created_at"],
                name="event_solved_idx",
                condition=models.Q(kind="status_changed", data__new="solved"),
            ),
            models.Index(
                fields=["created_at"],
                name="event_reopened_idx",
                condition=models.Q(kind="status_changed", data__old="solved"),
            ),
            # SLA statistics (tickets.sla.stats): the clocks fulfilled or breached in a period.
            models.Index(
                fields=["created_at"],
                name="event_sla_outcome_idx",
                condition=models.Q(kind__in=["sla_fulfilled", "sla_breached"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.ticket_id} by {self.actor_name}"


class TicketUserPermission(UserObjectPermissionBase):
    """guardian object permission of one user on one ticket (direct foreign key, not generic)."""

    content_object = models.ForeignKey(Ticket, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False
        indexes = [
            # "What may this user do with this ticket" (guardian's checker, and the per-row test of
            # a ticket list): one index-only probe. guardian's own unique index starts with the user.
            models.Index(fields=["content_object", "user", "permission"], name="ticket_userperm_object_idx"),
        ]


class TicketGroupPermission(GroupObjectPermissionBase):
    """guardian object permission of a group (a team or an organization) on one ticket."""

    content_object = models.ForeignKey(Ticket, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
        indexes = [
            # Which groups hold what on this ticket: a team agent's ticket list tests rows this way.
            models.Index(fields=["content_object", "group", "permission"], name="ticket_groupperm_object_idx"),
        ]


class TicketReadMarker(models.Model):
    """When a person last opened a ticket's page in the portal.

    The portal's "new reply" flag is "a public agent reply newer than this"; without a marker
    every agent reply counts as new. Written by ``services.ticket_mark_seen`` only.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="read_markers")
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # One marker per person and ticket; its index also serves the "new reply" subquery,
            # which looks the marker up by (user, ticket) for every row of My tickets.
            models.UniqueConstraint(fields=["user", "ticket"], name="read_marker_user_ticket_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} saw #{self.ticket_id} at {self.last_seen_at:%Y-%m-%d %H:%M}"


# The email channel's models (tickets.mail) belong to this app: imported here so Django finds them.
# Defined beside the models they belong with; imported here so ``tickets.models`` names them all.
from tickets.importers.models import ImportLink, ImportRun  # noqa: E402, F401
from tickets.mail.models import Door, ImapSecurity, InboundMessage, InboundState, Mailbox  # noqa: E402, F401
from tickets.models.automation import Automation, TicketAutomationRun, Trigger, TriggerOn  # noqa: E402, F401
from tickets.models.custom_fields import FieldType, TicketField  # noqa: E402, F401
from tickets.models.integrations import ApiJob, IdempotencyKey, JobState, PendingUpload  # noqa: E402, F401
from tickets.models.macros import Macro, MacroScope  # noqa: E402, F401
from tickets.models.notifications import MailThreadId, Notification, NotificationKind  # noqa: E402, F401
from tickets.models.views import COLUMNS, DEFAULT_COLUMNS, SavedView, ViewScope  # noqa: E402, F401
from tickets.satisfaction.models import SatisfactionRating, Score  # noqa: E402, F401
from tickets.sla.models import (  # noqa: E402, F401
    ClockState,
    Metric,
    Schedule,
    ScheduleHoliday,
    ScheduleInterval,
    ScheduleTeam,
    SlaClock,
    SlaPolicy,
    SlaTarget,
)
from tickets.webhooks.models import (  # noqa: E402, F401
    DeliveryState,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
)
