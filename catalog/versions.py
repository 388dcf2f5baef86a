"""A book's ``version``: a number that grows whenever anything a client sees of the book changes.

Conditional GET (shelfmark.conditional) answers "304 Not Modified" from it before the expensive
work: a page's ETag is made from its rows' ids and versions. So every change that shows in a
book's representation or its page must bump it, and the database does it, like the search
index, so that no write path (services, the admin, imports' COPY, renames) can forget:

- any UPDATE of the book row (its own fields, a cover, a rename of an author or subject, which
  rewrites the book's ``search_text``) sets ``version`` to the old value plus one;
- an insert, update or delete in a table whose rows name a book by ``book_id`` and show on it
  (copies, author and subject links; circulation adds its holds) bumps the books they name.

A bump that did not come with a new ``updated_at`` (a save through Django sets it) sets it to
the database's clock, so ``updated_at`` is the record's change time, as harvesters over OAI-PMH
need it (protocols.oai); and a deleted book leaves its id and time in ``catalog.DeletedBook``.

On PostgreSQL, a row trigger on the book and statement triggers with transition tables on the
others (an import's COPY of a thousand copies bumps each book once, in one UPDATE, and not at
all the books the same transaction wrote already, which no one has seen yet). On SQLite,
row triggers; Django's table rebuilds drop them, so ``ensure_triggers`` puts them back after
every migration (and bumps every book, as a write may have gone unseen meanwhile).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# The tables of the catalog whose rows show on their book; other apps name theirs themselves.
CATALOG_TABLES = ("catalog_copy", "catalog_bookauthor", "catalog_book_subjects")

# The statement's changed rows (transition tables) bump each book they name, once; not a book this
# transaction wrote already (its xmin is ours): inserted here, no one has seen it; updated here,
# the book's own trigger bumped it, and no one sees the states between. So an import that adds
# books and their copies in one transaction writes each book once, not twice.
TOUCH_FUNCTION = """
    CREATE OR REPLACE FUNCTION catalog_book_touch() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        ours bigint := mod(txid_current(), 4294967296);
    BEGIN
        IF TG_OP = 'INSERT' THEN
            UPDATE catalog_book SET version = version + 1
            WHERE id IN (SELECT book_id FROM changed_new) AND xmin::text::bigint <> ours;
        ELSIF TG_OP = 'DELETE' THEN
            UPDATE catalog_book SET version = version + 1
            WHERE id IN (SELECT book_id FROM changed_old) AND xmin::text::bigint <> ours;
        ELSE
            UPDATE catalog_book SET version = version + 1
            WHERE id IN (SELECT book_id FROM changed_new UNION SELECT book_id FROM changed_old)
            AND xmin::text::bigint <> ours;
        END IF;
        RETURN NULL;
    END
    $$
"""

POSTGRESQL_FUNCTIONS = [
    """
    CREATE OR REPLACE FUNCTION catalog_book_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.version := OLD.version + 1;
        IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
            NEW.updated_at := clock_timestamp();
        END IF;
        RETURN NEW;
    END
    $$
    """,
    TOUCH_FUNCTION,
    "CREATE TRIGGER catalog_book_version BEFORE UPDATE ON catalog_book"
    " FOR EACH ROW EXECUTE FUNCTION catalog_book_version()",
]

# A deleted book is remembered (catalog.DeletedBook), for harvesters (OAI-PMH's deleted records),
# whichever way it went: a service, the admin, a cascade.
POSTGRESQL_DELETED = [
    """
    CREATE OR REPLACE FUNCTION catalog_book_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO catalog_deletedbook (book_id, deleted_at)
        SELECT id, clock_timestamp() FROM gone
        ON CONFLICT (book_id) DO UPDATE SET deleted_at = EXCLUDED.deleted_at;
        RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER catalog_book_deleted AFTER DELETE ON catalog_book"
    " REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION catalog_book_deleted()",
]


def postgresql_touch_triggers(table: str) -> list[str]:
    """The statements that make changes to ``table`` (which has a ``book_id``) bump its books."""
    return [
        f"CREATE TRIGGER {table}_touch_insert AFTER INSERT ON {table}"
        " REFERENCING NEW TABLE AS changed_new"
        " FOR EACH STATEMENT EXECUTE FUNCTION catalog_book_touch()",
        f"CREATE TRIGGER {table}_touch_delete AFTER DELETE ON {table}"
        " REFERENCING OLD TABLE AS changed_old"
        " FOR EACH STATEMENT EXECUTE FUNCTION catalog_book_touch()",
        f"CREATE TRIGGER {table}_touch_update AFTER UPDATE ON {table}"
        " REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new"
        " FOR EACH STATEMENT EXECUTE FUNCTION catalog_book_touch()",
    ]


POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS catalog_book_version ON catalog_book",
    "DROP FUNCTION IF EXISTS catalog_book_touch()",
    "DROP FUNCTION IF EXISTS catalog_book_version()",
]


# SQLite's clock, written as Django writes a datetime there (UTC, a space before the time, six
# digits of fraction: SQLite compares them as text, and keyset pages compare with Django's).
SQLITE_NOW = "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')"


def _bump(book_id: str) -> str:
    # Our own SQL: book_id is NEW.book_id or OLD.book_id.
    return (
        f"UPDATE catalog_book SET version = version + 1, updated_at = {SQLITE_NOW}"  # noqa: S608
        f" WHERE id = {book_id};"
    )


def sqlite_triggers(tables: Iterable[str]) -> dict[str, str]:
    """SQLite's triggers for the book and for ``tables``, by name."""
    triggers = {
        # An UPDATE that did not raise the version itself (a service's save, with the version it
        # read): one more than the old. Recursive triggers are off, and the WHEN stops it anyway.
        "catalog_book_version": (
            "AFTER UPDATE ON catalog_book WHEN NEW.version <= OLD.version BEGIN "  # noqa: S608
            "UPDATE catalog_book SET version = OLD.version + 1, updated_at = CASE"
            f" WHEN NEW.updated_at IS OLD.updated_at THEN {SQLITE_NOW} ELSE NEW.updated_at END"
            " WHERE id = NEW.id; END"
        ),
        "catalog_book_deleted": (
            "AFTER DELETE ON catalog_book BEGIN INSERT OR REPLACE INTO catalog_deletedbook"  # noqa: S608
            f" (book_id, deleted_at) VALUES (OLD.id, {SQLITE_NOW}); END"
        ),
    }
    for table in tables:
        triggers[f"{table}_touch_insert"] = (
            f"AFTER INSERT ON {table} BEGIN {_bump('NEW.book_id')} END"
        )
        triggers[f"{table}_touch_delete"] = (
            f"AFTER DELETE ON {table} BEGIN {_bump('OLD.book_id')} END"
        )
        triggers[f"{table}_touch_update"] = (
            f"AFTER UPDATE ON {table} BEGIN {_bump('OLD.book_id')} "  # noqa: S608 - ours
            "UPDATE catalog_book SET version = version + 1"
            " WHERE id = NEW.book_id AND NEW.book_id <> OLD.book_id; END"
        )
    return triggers


def install(schema_editor: Any, tables: Iterable[str], *, book: bool = False) -> None:
    """A migration's step: the triggers that make changes to ``tables`` bump their books, and
    with ``book`` the book's own trigger and the functions (catalog's migration)."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        ensure_triggers(connection, tables)
        return
    statements = list(POSTGRESQL_FUNCTIONS) if book else []
    for table in tables:
        statements += postgresql_touch_triggers(table)
    for statement in statements:
        schema_editor.execute(statement)


def uninstall(schema_editor: Any, tables: Iterable[str], *, book: bool = False) -> None:
    """``install`` undone."""
    postgresql = schema_editor.connection.vendor == "postgresql"
    for table in tables:
        for event in ("insert", "delete", "update"):
            on = f" ON {table}" if postgresql else ""
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_touch_{event}{on}")
    if book:
        drops = POSTGRESQL_DROP if postgresql else ["DROP TRIGGER IF EXISTS catalog_book_version"]
        for statement in drops:
            schema_editor.execute(statement)


def ensure_triggers(connection: Any, tables: Iterable[str]) -> bool:
    """On SQLite, create the version triggers of the book and ``tables`` that are missing (a
    table rebuild dropped them) and then bump every book; whether any was missing. Nothing
    while the tables or the version column do not exist (a migration back)."""
    if connection.vendor != "sqlite":
        return False
    tables = tuple(tables)
    present_tables = set(connection.introspection.table_names())
    if not {"catalog_book", *tables} <= present_tables:
        return False  # migrated back to before one of them
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, "catalog_book")
    if not any(column.name == "version" for column in columns):
        return False  # migrated back to before the version
    triggers = sqlite_triggers(tables)
    if "catalog_deletedbook" not in present_tables:
        del triggers["catalog_book_deleted"]  # migrated back to before deletions were kept
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {name for (name,) in cursor.fetchall()}
        missing = [name for name in triggers if name not in present]
        for name in missing:
            cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {triggers[name]}")
        if missing:
            cursor.execute("UPDATE catalog_book SET version = version + 1")
    return bool(missing)


def replace_with_change_time(schema_editor: Any) -> None:
    """A migration's step: the version triggers of every table that has them (the catalog's and
    other apps') made again as they are now, which also set the change time, and the trigger
    that remembers deleted books."""
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for statement in (POSTGRESQL_FUNCTIONS[0], *POSTGRESQL_DELETED):
            schema_editor.execute(statement)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"
            " AND (name = 'catalog_book_version' OR name LIKE '%\\_touch\\_%' ESCAPE '\\')"
        )
        present = cursor.fetchall()
        for name, _table in present:
            cursor.execute(f"DROP TRIGGER {name}")
    tables = {table for name, table in present if name != "catalog_book_version"}
    ensure_triggers(connection, tables | set(CATALOG_TABLES))
