from django.db import migrations


def hide_reasons(apps, schema_editor):
    """Unassignments written by a team move carried the internal reason ("cannot work the new
    team") in a public history entry, shown to the requester. Those entries become internal:
    agents keep the reason; the requester no longer reads it (issue 13 §2). New moves write a
    public unassignment without a reason and explain it in the internal team-move entry."""
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    TicketEvent.objects.filter(kind="assigned", public=True, data__has_key="reason").update(public=False)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0008_statistics_indexes"),
    ]

    operations = [
        migrations.RunPython(hide_reasons, migrations.RunPython.noop, elidable=True),
    ]
