# Issue 17: a team's own business schedule (its tickets follow it when their policy names none).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0007_user_session_generation"),
        ("tickets", "0029_ticket_requester_activity_idx"),
    ]

    operations = [
        migrations.CreateModel(
            name="ScheduleTeam",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("schedule", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="team_links", to="tickets.schedule")),
                ("team", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="sla_schedule_link", to="accounts.team", verbose_name="team")),
            ],
            options={
                "ordering": ["schedule", "team"],
            },
        ),
    ]
