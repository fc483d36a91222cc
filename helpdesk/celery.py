"""The Celery application: background jobs on Redis when configured, in process otherwise.

With ``REDIS_URL`` (or ``CELERY_BROKER_URL``) set, ``make worker`` runs a worker and beat; with
neither, tasks run eagerly in the web process — always after the transaction committed, because
we only ever enqueue from ``transaction.on_commit``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["tickets.mail"])  # the email channel's tasks (a sub-package of tickets)
app.autodiscover_tasks(["tickets.sla"])  # the SLA sweeper (a sub-package of tickets)
app.autodiscover_tasks(["tickets.zendesk"])  # the Zendesk-compatible API's bulk jobs
app.autodiscover_tasks(["tickets.webhooks"])  # the outgoing webhooks' sender
