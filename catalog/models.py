"""Catalog data: what the library holds. Invariants live here as database constraints.

Writes go through catalog.services, which keep the derived ``Book.search_text`` (and the
spelling vocabulary, ``SearchWord``) current.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Length, Lower
from django.db.models.lookups import Exact, Range
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

YEAR_MIN = -3000  # the oldest works a library lists are older than the common era
YEAR_MAX = 2100
# Sort key for "by year": books without a year go after every real year.
YEAR_SORT_KEY = Coalesce("year", Value(YEAR_MAX + 1))


class Author(models.Model):
    name = models.CharField(max_length=255, help_text=_("Display name, e.g. 'Jane Austen'."))
    sort_name = models.CharField(
        max_length=255, blank=True, help_text=_("Name for sorting, e.g. 'Austen, Jane'.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("author")
        verbose_name_plural = _("authors")
        ordering = ["sort_name", "id"]
        constraints = [
            # Names identify authors in writes ("authors": ["Jane Austen"]), so one name is one
            # author, whatever its capitalisation.
            models.UniqueConstraint(Lower("name"), name="author_name_unique_ci"),
            models.CheckConstraint(condition=~models.Q(name=""), name="author_name_not_blank"),
        ]
        indexes = [
            models.Index(fields=["sort_name", "id"], name="author_sort_idx"),
            models.Index(fields=["created_at", "id"], name="author_created_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Subject(models.Model):
    name = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="subject_name_unique_ci"),
            models.CheckConstraint(condition=~models.Q(name=""), name="subject_name_not_blank"),
        ]
        indexes = [
            models.Index(fields=["name", "id"], name="subject_name_idx"),
            models.Index(fields=["created_at", "id"], name="subject_created_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=500)
    subtitle = models.CharField(max_length=500, blank=True)
    authors = models.ManyToManyField(Author, through="BookAuthor", related_name="books")
    # NULL, not "", for "no ISBN": the unique constraint must allow many books without one.
    isbn = models.CharField(  # noqa: DJ001
        _("ISBN"),
        max_length=13,
        null=True,
        blank=True,
        help_text=_("Normalized ISBN-13 digits; empty for books without an ISBN."),
    )
    publisher = models.CharField(max_length=255, blank=True)
    year = models.IntegerField(_("publication year"), null=True, blank=True)
    language = models.CharField(
        max_length=3, blank=True, help_text=_("ISO 639 code: 'en', 'fr', 'grc'…")
    )
    pages = models.PositiveIntegerField(_("page count"), null=True, blank=True)
    description = models.TextField(blank=True)
    subjects = models.ManyToManyField(Subject, related_name="books", blank=True)
    # The front cover, in the default storage (MEDIA_ROOT). Set through
    # catalog.services.book_cover_set (or the admin's upload), which checks it is an image and
    # names it after its content, so that a new cover is a new URL (catalog.selectors.cover_url).
    cover = models.ImageField(upload_to="covers/", blank=True, max_length=200)
    # The search document (catalog.search.text.search_document): the folded words of the
    # title, subtitle, authors, subjects, description and ISBNs in sections, kept current by
    # catalog.services. Each database indexes it its own way (catalog.search): on PostgreSQL a
    # trigger keeps a weighted tsvector column beside it, on SQLite triggers keep an FTS5 table.
    search_text = models.TextField(blank=True, editable=False)
    # Grows whenever anything shown of the book changes, its copies, authors, subjects and holds
    # included: database triggers keep it (catalog.versions), and conditional GET's ETags are
    # made from it (shelfmark.conditional).
    version = models.BigIntegerField(default=1, db_default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("book")
        verbose_name_plural = _("books")
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["isbn"], name="book_isbn_unique"),
            models.CheckConstraint(
                # Portable form (no REGEXP on SQLite): 13 characters starting 978/979.
                # django-stubs lets a Q combine only with a Q; Django takes any conditional
                # expression (the Exact lookup here), and the result is a Q.
                condition=models.Q(isbn__isnull=True)  # type: ignore[arg-type]
                | (
                    (models.Q(isbn__startswith="978") | models.Q(isbn__startswith="979"))
                    & Exact(Length("isbn"), 13)
                ),
                name="book_isbn_is_isbn13",
            ),
            models.CheckConstraint(condition=~models.Q(title=""), name="book_title_not_blank"),
            models.CheckConstraint(
                condition=models.Q(year__isnull=True) | models.Q(year__range=(YEAR_MIN, YEAR_MAX)),
                name="book_year_range",
            ),
            models.CheckConstraint(
                condition=models.Q(language="")
                | (Exact(Lower("language"), F("language")) & Range(Length("language"), (2, 3))),
                name="book_language_iso639",
            ),
        ]
        indexes = [
            models.Index(fields=["title", "id"], name="book_title_idx"),
            # Imports match a book without an ISBN by its title in any capitals.
            models.Index(Lower("title"), name="book_title_lower_idx"),
            models.Index(fields=["created_at", "id"], name="book_created_idx"),
            models.Index(fields=["updated_at", "id"], name="book_updated_idx"),
            models.Index(fields=["year", "id"], name="book_year_idx"),
            # ?ordering=year sorts books without a year last via this expression (selectors).
            models.Index(YEAR_SORT_KEY, "id", name="book_year_sort_idx"),
            models.Index(fields=["language"], name="book_language_idx"),
            # Search indexes (a GIN tsvector index on PostgreSQL, FTS5 on SQLite) are created
            # by migration 0011, per database, so they are not declared here.
        ]

    def __str__(self) -> str:
        return self.title


class SearchWord(models.Model):
    """The spelling vocabulary: each word of the catalog that search may correct a query to,
    with the number of books whose search document holds it (catalog.search.spelling).

    catalog.services.search_text keeps the counts current in the transaction of every write
    that changes a search document; ``./manage.py search_words --rebuild`` recounts them from
    the books (``--check`` reports any difference). Each database adds its trigram index on
    ``word`` (migration 0011).
    """

    word = models.CharField(max_length=100, unique=True)
    books = models.IntegerField(default=0)

    def __str__(self) -> str:
        return self.word


class BookAuthor(models.Model):
    """An author's place on a book's title page: authors are ordered."""

    # No single-column indexes: the unique (book, author) and the (author, book) index below
    # serve every look-up by either, and each index is paid for on every insert (imports).
    book = models.ForeignKey(
        Book, on_delete=models.CASCADE, related_name="book_authors", db_index=False
    )
    # PROTECT: deleting an author must not silently strip them from books.
    author = models.ForeignKey(
        Author, on_delete=models.PROTECT, related_name="book_authors", db_index=False
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["book", "position"]
        constraints = [
            models.UniqueConstraint(fields=["book", "author"], name="bookauthor_once_per_book"),
            models.UniqueConstraint(fields=["book", "position"], name="bookauthor_position_unique"),
        ]
        indexes = [models.Index(fields=["author", "book"], name="bookauthor_author_idx")]

    def __str__(self) -> str:
        return f"{self.author} on {self.book}"


class CopyStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    ON_LOAN = "on_loan", _("On loan")
    ON_HOLD_SHELF = "on_hold_shelf", _("On hold shelf")
    LOST = "lost", _("Lost")
    # Not found where it should be (a stocktake's verdict): scanned again, it is found.
    MISSING = "missing", _("Missing")
    DAMAGED = "damaged", _("Damaged")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    IN_REPAIR = "in_repair", _("In repair")


# A copy's status inside a sentence ("Copy 123 is on loan; …"): the labels above lower-cased in
# English, but their own words in other languages (German capitalises nouns: "im Abholregal").
COPY_STATUS_IN_SENTENCE = {
    CopyStatus.AVAILABLE: pgettext_lazy("copy status in a sentence", "available"),
    CopyStatus.ON_LOAN: pgettext_lazy("copy status in a sentence", "on loan"),
    CopyStatus.ON_HOLD_SHELF: pgettext_lazy("copy status in a sentence", "on hold shelf"),
    CopyStatus.LOST: pgettext_lazy("copy status in a sentence", "lost"),
    CopyStatus.MISSING: pgettext_lazy("copy status in a sentence", "missing"),
    CopyStatus.DAMAGED: pgettext_lazy("copy status in a sentence", "damaged"),
    CopyStatus.WITHDRAWN: pgettext_lazy("copy status in a sentence", "withdrawn"),
    CopyStatus.IN_REPAIR: pgettext_lazy("copy status in a sentence", "in repair"),
}


def copy_status_in_sentence(status: str) -> str:
    """A copy's status as a sentence says it ("is on loan"), in the active language; a status
    the catalog does not know, quoted."""
    phrase = COPY_STATUS_IN_SENTENCE.get(status)  # type: ignore[call-overload]
    return str(phrase) if phrase is not None else repr(status)


class LoanType(models.TextChoices):
    """How a copy may be lent; circulation rules can give each its own loan period and limits."""

    NORMAL = "normal", _("Normal loan")
    SHORT = "short", _("Short loan")
    REFERENCE = "reference", _("Not for loan (reference)")


# Statuses that stand for a loan or a waiting hold: only circulation enters and leaves them
# (catalog.services.copies explains why).
CIRCULATION_STATUSES = frozenset({CopyStatus.ON_LOAN, CopyStatus.ON_HOLD_SHELF})


class Copy(models.Model):
    """A physical item on the shelf, identified by the barcode on its label."""

    barcode = models.CharField(max_length=64, unique=True)
    # PROTECT: a book with physical copies is not deleted by accident; withdraw copies first.
    # No index of its own: copy_book_status_idx (book, status) serves look-ups by book.
    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="copies", db_index=False)
    call_number = models.CharField(max_length=64, blank=True, help_text=_("e.g. 823.7 AUS"))
    location = models.CharField(max_length=100, blank=True, help_text=_("Shelf or room"))
    status = models.CharField(
        max_length=20, choices=CopyStatus.choices, default=CopyStatus.AVAILABLE
    )
    # blank: a form left empty means the default (catalog.rules.clean_loan_type).
    loan_type = models.CharField(
        max_length=20, choices=LoanType.choices, default=LoanType.NORMAL, blank=True
    )
    acquired_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    # The last day a stocktake saw the copy on the shelves (stocktake.services); the services
    # write it, never a form.
    last_seen = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("copy")
        verbose_name_plural = _("copies")
        ordering = ["barcode"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CopyStatus.values), name="copy_status_valid"
            ),
            models.CheckConstraint(condition=~models.Q(barcode=""), name="copy_barcode_not_blank"),
            models.CheckConstraint(
                condition=models.Q(loan_type__in=LoanType.values), name="copy_loan_type_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["book", "status"], name="copy_book_status_idx"),
            models.Index(fields=["status", "barcode"], name="copy_status_idx"),
            models.Index(fields=["created_at", "id"], name="copy_created_idx"),
            # When a copy was acquired: the reports' new acquisitions (reports.definitions).
            models.Index(fields=["acquired_on"], name="copy_acquired_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.barcode} ({self.book})"


class DeletedBook(models.Model):
    """A book that was deleted: its id and when, for harvesters that must hear of deletions
    (OAI-PMH's deleted records, protocols.oai). A database trigger writes it whichever way the
    book went (catalog.versions), so no delete path can forget; nothing else does."""

    book_id = models.BigIntegerField(primary_key=True)
    deleted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("deleted book")
        verbose_name_plural = _("deleted books")
        indexes = [models.Index(fields=["deleted_at", "book_id"], name="deletedbook_time_idx")]

    def __str__(self) -> str:
        return f"{self.book_id} ({self.deleted_at:%Y-%m-%d})"
