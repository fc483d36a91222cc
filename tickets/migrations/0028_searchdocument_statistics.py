"""Keep 10× more statistics on the search documents' words (PostgreSQL only).

With the default statistics target PostgreSQL keeps the ~1,000 most common words of the
``tsvector`` columns and guesses every other word from the rarest of those: it estimated 2,750
documents for an order number that is in 51, and so ANDed the GIN match with a primary-key range
bitmap of each id slice (tickets.search.postgres) that costs more than the match itself. With
1,000 the guess for a rare word falls to a few hundred and the plan skips the range bitmap: an
order-number search on 2.5M tickets read 7,200 buffers before, 4,600 after (docs/SCALING.md).
The ANALYZE takes seconds on millions of tickets (it samples).
"""

from django.db import migrations

COLUMNS = ("public", "internal")


def more_statistics(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE tickets_searchdocument "
            + ", ".join(f"ALTER COLUMN {column} SET STATISTICS 1000" for column in COLUMNS)
        )
        cursor.execute("ANALYZE tickets_searchdocument")


def default_statistics(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE tickets_searchdocument "
            + ", ".join(f"ALTER COLUMN {column} SET STATISTICS -1" for column in COLUMNS)
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0027_privacy_event_kinds")]

    operations = [migrations.RunPython(more_statistics, default_statistics, elidable=False)]
