"""Ranked, typo-tolerant search (catalog.search): the search document in sections, each
database's index over it, and the spelling vocabulary.

- PostgreSQL: ``catalog_book.search_vector``, a weighted tsvector that a trigger computes from
  ``search_text`` on every insert and on every update of ``search_text`` (so the services, the
  import's COPY and renames all keep it current without knowing it), with a GIN index; a GIN
  trigram index on the vocabulary's words. The trigram index on ``search_text`` (substring
  search, migration 0002) goes: nothing matches substrings any more.
- SQLite: FTS5 tables and their triggers (catalog.search.sqlite).
- Both: every book's ``search_text`` rewritten in the new format, and the vocabulary counted.
"""

from django.db import migrations, models

from catalog.search import sqlite
from catalog.search.text import search_document

POSTGRESQL = [
    "DROP INDEX IF EXISTS book_search_trgm",
    "ALTER TABLE catalog_book ADD COLUMN search_vector tsvector NOT NULL DEFAULT ''",
    """
    CREATE FUNCTION catalog_book_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- Sections of search_text (catalog.search.text): title, subtitle, authors, subjects
        -- and description, ISBNs; already folded, so the simple configuration only splits.
        NEW.search_vector :=
            setweight(to_tsvector('simple', split_part(NEW.search_text, chr(31), 1)), 'A')
            || setweight(to_tsvector('simple', split_part(NEW.search_text, chr(31), 2)), 'B')
            || setweight(to_tsvector('simple',
                   replace(split_part(NEW.search_text, chr(31), 3), chr(30), ' ')), 'B')
            || setweight(to_tsvector('simple', split_part(NEW.search_text, chr(31), 4)), 'C')
            || setweight(to_tsvector('simple', split_part(NEW.search_text, chr(31), 5)), 'D');
        RETURN NEW;
    END
    $$
    """,
    "CREATE TRIGGER catalog_book_search_vector BEFORE INSERT OR UPDATE OF search_text"
    " ON catalog_book FOR EACH ROW EXECUTE FUNCTION catalog_book_search_vector()",
    "CREATE INDEX book_search_vector_idx ON catalog_book USING gin (search_vector)",
    "CREATE INDEX searchword_word_trgm ON catalog_searchword USING gin (word gin_trgm_ops)",
]
POSTGRESQL_REVERSE = [
    "DROP INDEX IF EXISTS searchword_word_trgm",
    "DROP TRIGGER IF EXISTS catalog_book_search_vector ON catalog_book",
    "DROP FUNCTION IF EXISTS catalog_book_search_vector()",
    "ALTER TABLE catalog_book DROP COLUMN IF EXISTS search_vector",
    "CREATE INDEX IF NOT EXISTS book_search_trgm ON catalog_book"
    " USING gin (search_text gin_trgm_ops)",
]


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for statement in POSTGRESQL:
            schema_editor.execute(statement)
    elif connection.vendor == "sqlite":
        sqlite.ensure_schema(connection)


def drop_indexes(apps, schema_editor):
    connection = schema_editor.connection
    statements = {"postgresql": POSTGRESQL_REVERSE, "sqlite": sqlite.DROP}
    for statement in statements.get(connection.vendor, []):
        schema_editor.execute(statement)


def rewrite_documents(apps, schema_editor):
    """Every book's search_text in the new format (the triggers index it as it is written),
    then the vocabulary counted from them. Code of this release, called here once."""
    from catalog.search.text import document_words

    db = schema_editor.connection.alias
    Book = apps.get_model("catalog", "Book")
    BookAuthor = apps.get_model("catalog", "BookAuthor")
    SearchWord = apps.get_model("catalog", "SearchWord")
    Tagged = Book.subjects.through
    counts = {}
    last = 0
    while True:
        books = list(Book.objects.using(db).filter(pk__gt=last).order_by("pk")[:2000])
        if not books:
            break
        ids = [book.pk for book in books]
        authors = {}
        for link in (
            BookAuthor.objects.using(db)
            .filter(book_id__in=ids)
            .order_by("book_id", "position")
            .values_list("book_id", "author__name")
        ):
            authors.setdefault(link[0], []).append(link[1])
        subjects = {}
        for tag in Tagged.objects.using(db).filter(book_id__in=ids).values_list(
            "book_id", "subject__name"
        ):
            subjects.setdefault(tag[0], []).append(tag[1])
        for book in books:
            book.search_text = search_document(
                title=book.title,
                subtitle=book.subtitle,
                isbn=book.isbn,
                author_names=authors.get(book.pk, []),
                subject_names=subjects.get(book.pk, []),
                description=book.description,
            )
            for word in document_words(book.search_text):
                counts[word] = counts.get(word, 0) + 1
        Book.objects.using(db).bulk_update(books, ["search_text"])
        last = ids[-1]
    SearchWord.objects.using(db).bulk_create(
        (SearchWord(word=word, books=n) for word, n in sorted(counts.items())), batch_size=2000
    )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0010_copy_status_missing")]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("word", models.CharField(max_length=100, unique=True)),
                ("books", models.IntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_indexes, drop_indexes),
        migrations.RunPython(rewrite_documents, migrations.RunPython.noop),
    ]
