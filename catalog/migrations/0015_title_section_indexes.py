"""Indexes on the title's sections of the search document (PostgreSQL only): the search finds
exact titles through them wherever they are, beyond the window of matches it ranks
(catalog.search.postgresql.RANK_WINDOW)."""

from django.db import migrations

from catalog.migrations._postgresql import postgresql_only

# With the id: a title shared by thousands of books gives its first ids from the index alone.
FORWARD = [
    "CREATE INDEX book_search_title_idx ON catalog_book"
    " (split_part(search_text, chr(31), 1), id)",
    "CREATE INDEX book_search_title_key_idx ON catalog_book"
    " (split_part(search_text, chr(31), 6), id)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS book_search_title_idx",
    "DROP INDEX IF EXISTS book_search_title_key_idx",
]



class Migration(migrations.Migration):
    dependencies = [("catalog", "0014_book_touch_skips_own_rows")]

    operations = [postgresql_only(FORWARD, BACKWARD)]
