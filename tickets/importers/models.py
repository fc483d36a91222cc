"""What the importers remember between runs: which local row each imported record became
(``ImportLink``) and how far each run got (``ImportRun``).

Both belong to the ``tickets`` app (imported by ``tickets.models``), like the email channel's models.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ImportRun(models.Model):
    """One run of an importer against one source instance.

    A run that never finished (the process was killed, the database went away, a ticket raised
    something unexpected) keeps ``finished_at`` empty: the next run against the same instance
    takes it up again from its checkpoints. A finished run is history; the next run is a new one
    that passes over everything again (updating what changed, skipping what did not).
    """

    source = models.CharField(max_length=32)  # "django-helpdesk", "zendesk"
    instance = models.CharField(max_length=64)  # which database or account of that system
    # A readable name of the instance for people (a database URL without its password).
    label = models.CharField(max_length=255, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Per kind of record, the last source key fully handled (in the order the importer reads them).
    checkpoints = models.JSONField(default=dict, blank=True)
    # The counts so far (``tickets.importers.framework.Report.as_dict``).
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            # "Is there an unfinished run of this instance to take up?": one probe at every start.
            models.Index(fields=["source", "instance", "-started_at"], name="import_run_instance_idx"),
        ]

    def __str__(self) -> str:
        state = "finished" if self.finished_at else "unfinished"
        return f"{self.source} import of {self.label or self.instance} ({state})"


class ImportLink(models.Model):
    """One source record and the local row it became: what makes a repeated import update
    instead of duplicating. ``fingerprint`` is a digest of the source record as last imported;
    an unchanged fingerprint means nothing to do."""

    source = models.CharField(max_length=32)
    instance = models.CharField(max_length=64)
    kind = models.CharField(max_length=32)  # "team", "user", "ticket", "message", "event", …
    external_id = models.CharField(max_length=255)
    local_id = models.BigIntegerField()
    fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # The look-up of every imported record, and the guard against a duplicate.
            models.UniqueConstraint(
                fields=["source", "instance", "kind", "external_id"], name="import_link_unique_per_record"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.kind}:{self.external_id} → {self.local_id}"
