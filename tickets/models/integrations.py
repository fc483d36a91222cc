"""What the Zendesk-compatible API (``tickets.zendesk``) keeps between requests.

Part of ``tickets.models``. ``PendingUpload``: a file sent to ``uploads.json`` and not yet attached
to a ticket (a client names it later by its token). ``ApiJob``: a bulk create or update run in the
background, polled by its creator at ``job_statuses/{id}.json``. ``IdempotencyKey``: the
``Idempotency-Key`` of an API create, so a retried request returns the ticket it made.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _upload_token() -> str:
    return secrets.token_urlsafe(24)


def _upload_expiry():
    # Zendesk keeps an unused upload for three days; so do we.
    return timezone.now() + timedelta(days=3)


def _job_id() -> str:
    return secrets.token_hex(16)


class PendingUpload(models.Model):
    """One file uploaded ahead of the comment that attaches it. Several files may share a token
    (a client adds files to an earlier upload by sending its token back)."""

    token = models.CharField(max_length=64, default=_upload_token, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(max_length=255)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=_upload_expiry)

    class Meta:
        verbose_name = _("pending upload")

    def __str__(self) -> str:
        return self.filename


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    WORKING = "working", _("Working")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


class ApiJob(models.Model):
    """A bulk job of the Zendesk-compatible API: what was asked (``payload``), how far it got and
    the result of each item (``results``, in Zendesk's job-status shape)."""

    id = models.CharField(primary_key=True, max_length=32, default=_job_id, editable=False)
    kind = models.CharField(max_length=32)
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=16, choices=JobState, default=JobState.QUEUED)
    payload = models.JSONField(default=dict)
    total = models.PositiveIntegerField(default=0)
    progress = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=list)
    message = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("API job")
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=JobState.values), name="api_job_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


class IdempotencyKey(models.Model):
    """A client's ``Idempotency-Key`` for a ticket create: the same key from the same user within
    24 hours returns this ticket instead of making another (API.md, retries after timeouts)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # The lookup on every keyed create, and the guard against two racing requests.
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → #{self.ticket_id}"
