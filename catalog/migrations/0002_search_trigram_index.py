"""Trigram index for catalog search, on PostgreSQL only.

search_text is matched with LIKE '%word%'; a GIN trigram index lets PostgreSQL answer that from
the index instead of reading every row. SQLite has no such index type and scans the column,
which is fine at the sizes SQLite is meant for. pg_trgm is a trusted extension (PostgreSQL 13+),
so the database owner may create it.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS book_search_trgm ON catalog_book USING gin (search_text gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS book_search_trgm"]


def _run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(_run_on_postgresql(CREATE), _run_on_postgresql(DROP))]
