"""Customer satisfaction surveys' store: one survey per solve of a ticket (issue 18 §4).

Registered under the ``tickets`` app (``tickets.models`` imports this module at its bottom; the
migration lives in ``tickets/migrations``). A row is written when a ticket enters ``solved``
(the survey is *offered*) and answered later by the requester (``good`` or ``bad``, with an
optional comment); a reopened and solved-again ticket gets a new row for its new solve.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tickets.models import Ticket, TicketEvent

#: The longest comment a requester may leave with a rating.
COMMENT_MAX = 2000


class Score(models.TextChoices):
    OFFERED = "offered", pgettext_lazy("satisfaction score", "Not answered yet")
    GOOD = "good", pgettext_lazy("satisfaction score", "Good")
    BAD = "bad", pgettext_lazy("satisfaction score", "Bad")


class SatisfactionRating(models.Model):
    """The survey of one solve (``solve_event``, the ``status_changed`` → ``solved`` history entry)
    and the requester's answer to it. The assignee and team are those at the solve: who the
    statistics credit, whatever happens to the ticket afterwards."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="satisfaction_ratings")
    solve_event = models.ForeignKey(TicketEvent, on_delete=models.CASCADE, related_name="+")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    score = models.CharField(max_length=8, choices=Score, default=Score.OFFERED)
    comment = models.TextField(blank=True, default="")
    # When the survey was offered: the solve's time. The answer window runs from here.
    created_at = models.DateTimeField(default=timezone.now)
    # When the requester first answered (None: not yet), and when the row last changed.
    rated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("satisfaction rating")
        constraints = [
            # One survey per solve; its index also finds a ticket's latest survey (by solve event).
            models.UniqueConstraint(fields=["ticket", "solve_event"], name="satisfaction_one_per_solve"),
            models.CheckConstraint(condition=models.Q(score__in=Score.values), name="satisfaction_score_valid"),
            models.CheckConstraint(
                condition=models.Q(score=Score.OFFERED) | models.Q(rated_at__isnull=False),
                name="satisfaction_rated_has_rated_at",
            ),
        ]
        indexes = [
            # Statistics: the surveys of the solves in a period, grouped by assignee and team.
            models.Index(fields=["created_at"], name="satisfaction_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.score} on #{self.ticket_id} (solve {self.solve_event_id})"

    @property
    def is_rated(self) -> bool:
        return self.score != Score.OFFERED

    @property
    def label(self) -> str:
        return str(Score(self.score).label)
