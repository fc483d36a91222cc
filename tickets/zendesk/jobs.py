"""Bulk jobs: ``tickets/create_many.json`` (POST) and ``tickets/update_many.json`` (PUT) answer a
``job_status`` at once; a Celery task (``tickets.zendesk.tasks``; in process when no broker is set)
then works through the tickets one by one with the same translation as the single endpoints, and
``job_statuses/{id}.json`` reports its progress and each ticket's result.

Unlike v1's all-or-nothing bulk change, and like Zendesk, each ticket succeeds or fails on its own;
a failed one says why (``error``, ``details``). A job is read only by its creator or an admin
(anyone else: ``RecordNotFound``). At most 100 tickets a job.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response

from accounts.http import signed_in
from accounts.permissions import administers
from helpdesk.api.errors import validation_data
from tickets import permissions, selectors
from tickets.exceptions import Conflict
from tickets.models import ApiJob, JobState
from tickets.zendesk import errors, writes
from tickets.zendesk.base import ZendeskView, id_list
from tickets.zendesk.mapping import Shapes

MAX_ITEMS = 100


def job_json(view: ZendeskView, job: ApiJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "url": view.absolute(reverse("api:zendesk-job-status", args=[job.pk])),
        "job_type": job.kind,
        "total": job.total,
        "progress": job.progress,
        "status": job.state,
        "message": job.message or None,
        "results": job.results if job.state in (JobState.COMPLETED, JobState.FAILED) or job.results else None,
    }


def _start(view: ZendeskView, kind: str, items: list[dict[str, Any]]) -> Response:
    from tickets.zendesk.tasks import run_api_job

    job = ApiJob.objects.create(
        kind=kind, creator=signed_in(view.request.user), payload={"items": items}, total=len(items)
    )
    transaction.on_commit(lambda: run_api_job.delay(job.pk))
    job.refresh_from_db()
    return Response({"job_status": job_json(view, job)})


def _items(data: Any, key: str) -> list[dict[str, Any]]:
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise errors.ZendeskError(
            400, "InvalidRequest", _('Send {"%(key)s": [{...}, ...]} with at least one ticket.') % {"key": key}
        )
    if len(items) > MAX_ITEMS:
        raise errors.ZendeskError(400, "TooManyValues", _("At most %(count)d tickets a job.") % {"count": MAX_ITEMS})
    return items


def _staff(view: ZendeskView) -> None:
    if not permissions.may_change_in_bulk(view.request.user):
        raise errors.ZendeskError(403, "Forbidden", _("Only agents can create or change tickets in bulk."))


class CreateMany(ZendeskView):
    def post(self, request):
        _staff(self)
        return _start(self, "create_many", _items(request.data, "tickets"))


class UpdateMany(ZendeskView):
    """``?ids=1,2`` with ``{"ticket": {...}}`` (the same change to each), or ``{"tickets": [{"id", ...}]}``."""

    def put(self, request):
        _staff(self)
        if request.query_params.get("ids"):
            change = self.body_object("ticket")
            items = [{**change, "id": pk} for pk in id_list(request.query_params["ids"], limit=MAX_ITEMS)]
        else:
            items = _items(request.data, "tickets")
            if not all(isinstance(i.get("id"), int) and not isinstance(i.get("id"), bool) for i in items):
                raise errors.invalid("id", _("Each ticket of update_many needs its id."))
        return _start(self, "update_many", items)


class JobStatusDetail(ZendeskView):
    def get(self, request, job_id: str):
        job = ApiJob.objects.filter(pk=job_id[:32]).first()
        if job is None or not (job.creator_id == request.user.pk or administers(request.user)):
            raise errors.ZendeskError(404, "RecordNotFound", _("Not found"))
        return Response({"job_status": job_json(self, job)})


def forget_old_jobs(days: int = 7) -> int:
    """Remove finished jobs older than ``days`` (hourly, from beat). Returns how many."""
    from datetime import timedelta

    old = ApiJob.objects.filter(
        state__in=[JobState.COMPLETED, JobState.FAILED], updated_at__lt=timezone.now() - timedelta(days=days)
    )
    return old.delete()[0]


# --- the work (run by tickets.zendesk.tasks.run_api_job) ---------------------------------------


def _failure(index: int, pk: Any, action: str, exc: Exception) -> dict[str, Any]:
    if isinstance(exc, errors.ZendeskError):
        error, details = exc.error, exc.description + (f" {exc.details}" if exc.details else "")
    elif isinstance(exc, Http404):
        error, details = "RecordNotFound", _("Not found")
    elif isinstance(exc, ValidationError):
        error, details = "RecordInvalid", "; ".join(f"{k}: {v}" for k, v in validation_data(exc).items())
    elif isinstance(exc, PermissionDenied):
        error, details = "Forbidden", str(exc) or _("Not allowed")
    else:
        error, details = "Conflict", str(exc)
    return {"index": index, "id": pk, "action": action, "success": False, "status": "Failed", "error": error,
            "details": details}  # fmt: skip


def run(job_id: str) -> None:
    """Work through job ``job_id`` from where it stopped (a retried task resumes, not repeats)."""
    job = ApiJob.objects.select_related("creator").filter(pk=job_id).first()
    if job is None or job.state in (JobState.COMPLETED, JobState.FAILED):
        return
    actor = job.creator
    job.state = JobState.WORKING
    job.save(update_fields=["state", "updated_at"])
    shapes = Shapes(None, actor)
    items = job.payload.get("items", [])
    action = "create" if job.kind == "create_many" else "update"
    for index in range(job.progress, len(items)):
        item = dict(items[index])
        pk = item.pop("id", None) if action == "update" else None
        try:
            if not actor.is_active:
                raise PermissionDenied(_("The job's creator is no longer active."))
            if action == "create":
                pk = writes.create_ticket(actor, item, shapes).pk
                result = {"index": index, "id": pk, "action": action, "success": True, "status": "Created"}
            else:
                ticket = selectors.ticket_get_for_user(actor, pk)
                writes.update_ticket(actor, ticket, item, shapes)
                result = {"index": index, "id": pk, "action": action, "success": True, "status": "Updated"}
        except (errors.ZendeskError, Http404, ValidationError, PermissionDenied, Conflict) as exc:
            result = _failure(index, pk, action, exc)
        job.results = [*job.results, result]
        job.progress = index + 1
        job.updated_at = timezone.now()
        job.save(update_fields=["results", "progress", "updated_at"])
    failed = sum(1 for r in job.results if not r.get("success"))
    job.state = JobState.COMPLETED
    job.message = _("Completed at %(at)s UTC: %(done)d done, %(failed)d failed.") % {
        "at": f"{timezone.now():%Y-%m-%d %H:%M:%S}",
        "done": job.total - failed,
        "failed": failed,
    }
    job.save(update_fields=["state", "message", "updated_at"])
