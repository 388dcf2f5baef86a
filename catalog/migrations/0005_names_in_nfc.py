"""Names and titles in composed Unicode (NFC), and on PostgreSQL a check that names stay so.

Before, "Charlotte Bronte\\u0308" (decomposed) and "Charlotte Brontë" were two authors: the
unique constraint compares LOWER(name), and the two spellings differ byte for byte. The rules now
store NFC; this migration brings existing rows into that form, merging an author or subject
whose normalized name equals another's into that one (its books move over), and on PostgreSQL
adds CHECK (name IS NFC NORMALIZED), so the unique constraints compare the normalized form even
for rows written without the services. SQLite has no such test; the rules hold the line there.
"""

import unicodedata

from django.db import migrations
from django.db.models.functions import Lower

CHECKS = [
    ("catalog_author", "author_name_nfc"),
    ("catalog_subject", "subject_name_nfc"),
]


def _nfc(text):
    return unicodedata.normalize("NFC", text)


def _merge_names(model, link_model, link_field, apps):
    for row in model.objects.all():
        name = _nfc(row.name)
        if name == row.name:
            continue
        twin = (
            model.objects.exclude(pk=row.pk)
            .annotate(lowered=Lower("name"))
            .filter(lowered=name.lower())
            .first()
        )
        if twin is None:
            row.name = name
            row.save(update_fields=["name"])
            continue
        for link in link_model.objects.filter(**{link_field: row}):
            already = link_model.objects.filter(book_id=link.book_id, **{link_field: twin})
            if already.exists():
                link.delete()
            else:
                setattr(link, link_field, twin)
                link.save()
        row.delete()


def forwards(apps, schema_editor):
    Author = apps.get_model("catalog", "Author")
    Subject = apps.get_model("catalog", "Subject")
    Book = apps.get_model("catalog", "Book")
    _merge_names(Author, apps.get_model("catalog", "BookAuthor"), "author", apps)
    _merge_names(Subject, Book.subjects.through, "subject", apps)
    for book in Book.objects.all():
        fields = {f: _nfc(getattr(book, f)) for f in ("title", "subtitle", "publisher")}
        if any(getattr(book, f) != value for f, value in fields.items()):
            Book.objects.filter(pk=book.pk).update(**fields)
    if schema_editor.connection.vendor == "postgresql":
        for table, name in CHECKS:
            schema_editor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK (name IS NFC NORMALIZED)"
            )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, name in CHECKS:
            schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_list_ordering_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
