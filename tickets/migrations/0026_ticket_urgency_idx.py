from django.conf import settings
from django.db import migrations, models

from helpdesk.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    # "Most urgent first" (SLA-aware, issue 17) at 1M tickets; built CONCURRENTLY on PostgreSQL.
    atomic = False

    dependencies = [
        ("accounts", "0007_user_session_generation"),
        ("tickets", "0025_sla_outcome_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # ORDER BY sla_breach_at NULLS LAST, priority_rank, id (and its exact reverse) LIMIT 26.
        AddIndexConcurrently(
            model_name="ticket",
            index=models.Index(fields=["sla_breach_at", "priority_rank", "id"], name="ticket_urgency_idx"),
        ),
        # The same over the default view's rows (unassigned, unsolved), for team agents.
        AddIndexConcurrently(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(
                    ("assignee__isnull", True), ("status__in", ("open", "in_progress", "pending", "on_hold"))
                ),
                fields=["sla_breach_at", "priority_rank", "id"],
                name="ticket_unassigned_urgency_idx",
            ),
        ),
    ]
