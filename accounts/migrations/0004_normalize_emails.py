"""Stored addresses into the normal form sign-in now matches exactly (accounts/addresses.py).

Data only, no schema change, so it is safe on a live database: it reads ids and addresses in
batches, rewrites only rows whose address changes (one short UPDATE each, in its own transaction),
and works alike on PostgreSQL and SQLite. Users whose addresses share one normal form are left as
they are and logged as a warning: give all but one another address (admin), then run
``manage.py normalize_emails``. Reversing it does nothing (the old spellings are not kept).
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from accounts.addresses import normalize_stored_emails

    report = normalize_stored_emails(
        apps.get_model("accounts", "User"), apps.get_model("accounts", "Invite"), using=schema_editor.connection.alias
    )
    for form, pks in report.collisions.items():
        print(f"\n  accounts.0004: users {pks} share the address {form!r} once normalised; left unchanged.")


class Migration(migrations.Migration):
    atomic = False  # one short transaction per rewritten row: sign-ins go on meanwhile

    dependencies = [
        ("accounts", "0003_staff_name_index"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
    ]
