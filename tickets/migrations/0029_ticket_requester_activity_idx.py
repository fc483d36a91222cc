from django.db import migrations, models

from helpdesk.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    # Built CONCURRENTLY on PostgreSQL, so a live desk keeps taking writes meanwhile.
    atomic = False

    dependencies = [
        ("tickets", "0028_searchdocument_statistics"),
    ]

    operations = [
        # Portal "My tickets": WHERE requester_id = <customer> ORDER BY public_activity_at DESC, id DESC LIMIT 26,
        # each row checked against its permission row (tickets.permissions.visible_parts).
        AddIndexConcurrently(
            model_name="ticket",
            index=models.Index(fields=["requester", "-public_activity_at", "-id"], name="ticket_requester_activity_idx"),
        ),
    ]
