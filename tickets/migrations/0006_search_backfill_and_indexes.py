"""Fill the search documents of existing tickets, then index them (PostgreSQL only).

Not atomic: documents are written in batches of 5,000 tickets, each its own transaction, so a
desk with a million tickets is not held in one transaction for minutes; re-running after an
interruption picks up where it stopped (the upsert is idempotent, the indexes use IF NOT EXISTS).
The GIN indexes are built after the data, which is several times faster than maintaining them
row by row during the fill. On SQLite search uses LIKE and this migration does nothing.
"""

from django.db import migrations

BATCH = 5_000

GIN_INDEXES = [
    # Every search (customers and agents): `public @@ websearch_to_tsquery(...)`.
    "CREATE INDEX IF NOT EXISTS searchdocument_public_gin ON tickets_searchdocument USING gin (public)",
    # Agents' searches also match internal notes: `... OR internal @@ ...` (a BitmapOr of both).
    "CREATE INDEX IF NOT EXISTS searchdocument_internal_gin ON tickets_searchdocument USING gin (internal)",
]


def fill_and_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from tickets import search

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id FROM tickets_ticket t WHERE NOT EXISTS "
            "(SELECT 1 FROM tickets_searchdocument d WHERE d.ticket_id = t.id) ORDER BY t.id"
        )
        missing = [row[0] for row in cursor.fetchall()]
    for start in range(0, len(missing), BATCH):
        with schema_editor.connection.cursor() as cursor:
            search.index_tickets(missing[start : start + BATCH], cursor=cursor)
    with schema_editor.connection.cursor() as cursor:
        for statement in GIN_INDEXES:
            cursor.execute(statement)
        cursor.execute("ANALYZE tickets_searchdocument")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS searchdocument_public_gin")
        cursor.execute("DROP INDEX IF EXISTS searchdocument_internal_gin")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("tickets", "0005_search_document")]

    operations = [migrations.RunPython(fill_and_index, drop_indexes, elidable=False)]
