"""A realistic, reproducible catalog for the benchmark, loaded with PostgreSQL COPY.

``generate(books, seed)`` is pure (no database): the same seed and size give the same rows, so two
runs, or two machines, measure the same catalog. ``load(conninfo, catalog)`` streams it into a
database already migrated by Shelfmark's migrations (every index, trigger and constraint exists
while the rows go in, as in production).

What makes it realistic enough to measure search and paging:

- title words drawn Zipf-like (weight 1/rank) from a vocabulary of common English title words
  followed by a long tail of made-up words, so a few words are in thousands of titles and most in
  one or two (the "common word" and "rare word" search scenarios pick one of each);
- 1-3 authors per book from a pool of ``books // 4`` distinct names (some accented: García,
  Brontë), drawn skewed too, so some authors have many books;
- 1-2 subjects from 200, languages, years, ISBN-13s (valid check digit) on 90% of books;
- 1-2 copies per book (about 1.25 per book), 80% available, 12% on loan (each with its open loan),
  the rest lost, missing, damaged, in repair; patrons (``books // 20``) in two categories; closed
  loans as history.

``Book.search_text`` is computed with the function the import uses
(``catalog.search.text.search_document``), so search finds what the app would find after an
import; bench/suite.py then counts the spelling vocabulary with ``manage.py search_words``.
Derived columns that other code keeps (a trigger's search vector, say) are filled by the
database's own triggers during COPY; a NOT NULL column this module does not know gets a neutral
value (empty text, 0, false, now), found by reading the table's columns, so a new column does not
break the benchmark (but say what it should hold here if it matters to a read).
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

# Common words of book titles, most frequent first (their Zipf rank is their place here).
COMMON_WORDS = """
the of and a in to history war life world new love house story great book man time city little
last secret night garden day women english art death american guide black king children lost
river war mystery family introduction dark years old city red modern stories light people home
north island blue water dead science street murder poems letters girl boy shadow journey long
french blood golden empire silent fire heart london summer winter mountain road travels house
complete young queen sea second tales white age nature power lady world war short field wild
kingdom ghost dream music brief hidden theory practice design south east west first last three
""".split()  # noqa: SIM905  (a word list reads best as text)
FIRST_NAMES = """
Jane Charles Emily Leo Fyodor Gabriel Toni Haruki Virginia George Mary Herman Franz Marcel Italo
Chinua Isabel Jorge Zadie Kazuo Margaret Ursula Octavia Ray Agatha Arthur Doris Iris Nadine
Orhan Salman Umberto Wisława Olga Elif Naguib Ngũgĩ Selma Halldór Sigrid José Clarice Machado
Anne Thomas Edith Henry Willa Zora James Ralph Louisa Walt Edgar Nathaniel Kate Sylvia Ted
""".split()  # noqa: SIM905  (a word list reads best as text)
SURNAMES = """
Austen Dickens Brontë Tolstoy Dostoevsky García Morrison Murakami Woolf Eliot Shelley Melville
Kafka Proust Calvino Achebe Allende Borges Smith Ishiguro Atwood Le-Guin Butler Bradbury Christie
Conan Lessing Murdoch Gordimer Pamuk Rushdie Eco Szymborska Tokarczuk Shafak Mahfouz Thiong'o
Lagerlöf Laxness Undset Saramago Lispector Assis Carson Hardy Wharton James Cather Hurston Baldwin
Ellison Alcott Whitman Poe Hawthorne Chopin Plath Hughes Næss Øberg Müller Schröder Ñúñez Łukasz
""".split()  # noqa: SIM905  (a word list reads best as text)
INITIALS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SUBJECTS = [
    f"{topic}{suffix}"
    for suffix in ("", " -- History", " -- Fiction", " -- Juvenile literature", " -- Biography")
    for topic in """Fiction Poetry Drama Travel Cooking Gardening Mathematics Physics Chemistry
    Biology Philosophy Religion Music Art Architecture Economics Law Medicine Psychology Sociology
    Geography Astronomy Computing Engineering Education Sports Photography Film Theatre Folklore
    Mythology Linguistics Politics Military Ships Railways Birds Insects Oceans""".split()  # noqa: SIM905  (a word list reads best as text)
]
LANGUAGES = ["en"] * 14 + ["fr", "fr", "de", "es", "it", "ru", "ja", "pt"]
PUBLISHERS = [f"{name} {kind}" for name in SURNAMES[:40] for kind in ("Press", "Books")]
OTHER_STATUSES = ["lost", "missing", "damaged", "in_repair", "withdrawn"]
EPOCH = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
TAIL_WORDS = 20_000
CATEGORIES = [("Adult", 21, 10), ("Child", 14, 5)]  # name, loan days, max loans


def _syllable_words(count: int, rng: random.Random) -> list[str]:
    """``count`` distinct made-up words (the vocabulary's long tail)."""
    onsets = "b c d f g h j k l m n p r s t v w z br ch cl dr fl gr pl sh st th tr".split()  # noqa: SIM905
    vowels = "a e i o u ai ea io ou".split()  # noqa: SIM905
    codas = ["", "n", "r", "s", "l", "th", "nd", "st", "x"]
    seen: set[str] = set(COMMON_WORDS)
    words: list[str] = []
    while len(words) < count:
        word = "".join(
            rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(2, 3))
        ) + rng.choice(codas)
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def isbn13(number: int) -> str:
    core = f"978{number:09d}"
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(core))
    return core + str((10 - total % 10) % 10)


def hyphenated(isbn: str) -> str:
    """An ISBN-13 as printed on a book: 978-0-12-345678-9."""
    return f"{isbn[:3]}-{isbn[3]}-{isbn[4:6]}-{isbn[6:12]}-{isbn[12]}"


@dataclass
class Catalog:
    """Generated rows, one list of tuples per table, in the column order of ``COLUMNS``."""

    books: int
    seed: int
    tables: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    common_word: str = ""
    rare_word: str = ""
    sample_isbn: str = ""


# Each table's columns as the generator fills them (the rest get neutral values, see load()).
COLUMNS: dict[str, Sequence[str]] = {
    "catalog_author": ("id", "name", "sort_name", "created_at", "updated_at"),
    "catalog_subject": ("id", "name", "created_at"),
    "catalog_book": (
        "id",
        "title",
        "subtitle",
        "isbn",
        "publisher",
        "year",
        "language",
        "pages",
        "description",
        "cover",
        "search_text",
        "created_at",
        "updated_at",
    ),
    "catalog_bookauthor": ("book_id", "author_id", "position"),
    "catalog_book_subjects": ("book_id", "subject_id"),
    "catalog_copy": (
        "id",
        "barcode",
        "book_id",
        "call_number",
        "location",
        "status",
        "loan_type",
        "acquired_on",
        "note",
        "created_at",
        "updated_at",
    ),
    "circulation_patroncategory": (
        "id",
        "name",
        "loan_period_days",
        "max_loans",
        "max_renewals",
        "max_holds",
        "hold_pickup_days",
        "overdue_blocks",
        "card_valid_months",
        "created_at",
        "updated_at",
    ),
    "circulation_patron": (
        "id",
        "card_number",
        "name",
        "email",
        "phone",
        "category_id",
        "expires_on",
        "blocked",
        "block_reason",
        "notes",
        "created_at",
        "updated_at",
    ),
    "circulation_loan": (
        "id",
        "copy_id",
        "patron_id",
        "checked_out_at",
        "due_on",
        "checked_in_at",
        "renewals",
        "days_late",
    ),
}


def _zipf_sampler(size: int, rng: random.Random, exponent: float = 1.0) -> Iterator[int]:
    cumulative = list(itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(size)))
    total = cumulative[-1]
    while True:
        yield bisect.bisect_left(cumulative, rng.random() * total)


def _django_ready() -> None:
    """Django set up in this process (catalog.search's package imports the models): with the
    development settings, as only the folding of words is used here, when nothing set it up."""
    import os

    import django
    from django.conf import settings

    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shelfmark.settings")
        os.environ.setdefault("DEBUG", "true")
        django.setup()


def generate(books: int, seed: int = 1) -> Catalog:
    _django_ready()
    from catalog.search.text import search_document  # the import's own folding

    rng = random.Random(seed)
    catalog = Catalog(books=books, seed=seed)
    vocabulary = COMMON_WORDS + _syllable_words(TAIL_WORDS, rng)
    words = _zipf_sampler(len(vocabulary), rng)
    author_count = max(4, books // 4)
    authors = []
    combos = len(FIRST_NAMES) * len(INITIALS) * len(SURNAMES)
    stride = 7_919  # a prime: consecutive ids get unrelated names, each combination once
    for n in range(author_count):
        k = (n * stride) % combos if author_count <= combos else n
        first = FIRST_NAMES[k % len(FIRST_NAMES)]
        initial = INITIALS[(k // len(FIRST_NAMES)) % len(INITIALS)]
        surname = SURNAMES[(k // (len(FIRST_NAMES) * len(INITIALS))) % len(SURNAMES)]
        suffix = "" if author_count <= combos else f" {n // combos + 1}"
        name = f"{first} {initial}. {surname}{suffix}"
        at = EPOCH + datetime.timedelta(seconds=n)
        authors.append((n + 1, name, f"{surname}{suffix}, {first} {initial}.", at, at))
    catalog.tables["catalog_author"] = authors
    catalog.tables["catalog_subject"] = [(n + 1, name, EPOCH) for n, name in enumerate(SUBJECTS)]
    pick_author = _zipf_sampler(author_count, rng, exponent=0.8)
    book_rows: list[tuple[Any, ...]] = []
    links: list[tuple[Any, ...]] = []
    subject_links: list[tuple[Any, ...]] = []
    copies: list[tuple[Any, ...]] = []
    loans: list[tuple[Any, ...]] = []
    title_counts: Counter[str] = Counter()
    patrons = max(10, books // 20)
    copy_id = loan_id = 0
    for n in range(books):
        book_id = n + 1
        title_words = [vocabulary[next(words)] for _ in range(rng.randint(1, 5))]
        title = " ".join(title_words).capitalize()
        title_counts.update(set(title_words))
        subtitle = " ".join(vocabulary[next(words)] for _ in range(3)) if rng.random() < 0.3 else ""
        isbn = isbn13(n) if rng.random() < 0.9 else None
        chosen = list(dict.fromkeys(next(pick_author) for _ in range(rng.choice((1, 1, 2, 3)))))
        names = [authors[a][1] for a in chosen]
        at = EPOCH + datetime.timedelta(minutes=n)
        book_rows.append(
            (
                book_id,
                title,
                subtitle,
                isbn,
                rng.choice(PUBLISHERS),
                rng.randint(1850, 2025) if rng.random() < 0.95 else None,
                rng.choice(LANGUAGES),
                rng.randint(40, 900) if rng.random() < 0.8 else None,
                "A book about " + " ".join(title_words) if rng.random() < 0.5 else "",
                "",
                search_document(title=title, subtitle=subtitle, isbn=isbn, author_names=names),
                at,
                at,
            )
        )
        links += [(book_id, author + 1, position) for position, author in enumerate(chosen)]
        subject_links += [
            (book_id, s + 1)
            for s in sorted(set(rng.sample(range(len(SUBJECTS)), rng.randint(1, 2))))
        ]
        for _ in range(2 if rng.random() < 0.25 else 1):
            copy_id += 1
            roll = rng.random()
            status = (
                "available"
                if roll < 0.80
                else "on_loan"
                if roll < 0.92
                else rng.choice(OTHER_STATUSES)
            )
            copies.append(
                (
                    copy_id,
                    f"B{copy_id:09d}",
                    book_id,
                    f"{rng.randint(0, 999):03d}.{n % 97}",
                    rng.choice(("Main shelves", "Children", "Reference", "Stacks")),
                    status,
                    "reference" if roll > 0.995 else "normal",
                    None,
                    "",
                    at,
                    at,
                )
            )
            out = EPOCH + datetime.timedelta(days=rng.randint(0, 1800), minutes=n % 1440)
            patron_id = rng.randint(1, patrons)
            if status == "on_loan":
                loan_id += 1
                due = (out + datetime.timedelta(days=21)).date()
                loans.append((loan_id, copy_id, patron_id, out, due, None, 0, None))
            if rng.random() < 0.3:  # history: a closed loan of this copy
                loan_id += 1
                back = out - datetime.timedelta(days=rng.randint(1, 30))
                start = back - datetime.timedelta(days=rng.randint(1, 40))
                due = (start + datetime.timedelta(days=21)).date()
                late = max(0, (back.date() - due).days)
                loans.append((loan_id, copy_id, patron_id, start, due, back, 0, late))
    catalog.tables["catalog_book"] = book_rows
    catalog.tables["catalog_bookauthor"] = links
    catalog.tables["catalog_book_subjects"] = subject_links
    catalog.tables["catalog_copy"] = copies
    catalog.tables["circulation_patroncategory"] = [
        (n + 1, name, days, most, 2, 5, 7, False, 36, EPOCH, EPOCH)
        for n, (name, days, most) in enumerate(CATEGORIES)
    ]
    catalog.tables["circulation_patron"] = [
        (
            n,
            f"C-{n:07d}",
            f"{FIRST_NAMES[n % len(FIRST_NAMES)]} Reader {n}",
            f"reader{n}@example.org",
            "",
            1 + (n % 7 == 0),
            None,
            False,
            "",
            "",
            EPOCH,
            EPOCH,
        )
        for n in range(1, patrons + 1)
    ]
    catalog.tables["circulation_loan"] = loans
    # The scenarios' words: the most frequent real word (not a stop word), and one in 1-3 titles.
    common = [w for w, _ in title_counts.most_common(20) if len(w) > 3]
    catalog.common_word = common[0] if common else COMMON_WORDS[0]
    rare = sorted(w for w in vocabulary[len(COMMON_WORDS) :] if 1 <= title_counts[w] <= 3)
    catalog.rare_word = rare[len(rare) // 2] if rare else vocabulary[-1]
    with_isbn = [row[3] for row in book_rows if row[3]]
    catalog.sample_isbn = with_isbn[len(with_isbn) // 2] if with_isbn else ""
    return catalog


def _neutral(data_type: str) -> Any:
    if "char" in data_type or data_type == "text":
        return ""
    if "timestamp" in data_type or data_type == "date":
        return EPOCH
    if data_type == "boolean":
        return False
    if data_type in ("jsonb", "json"):
        return "{}"
    return 0


def load(conninfo: str, catalog: Catalog) -> None:
    """COPY the catalog into the (migrated, empty) database, then move the id sequences on."""
    import psycopg

    with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
        for table, rows in catalog.tables.items():
            columns = list(COLUMNS[table])
            cursor.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = "
                "%s AND is_nullable = 'NO' AND column_default IS NULL AND is_generated = 'NEVER' "
                "AND is_identity = 'NO'",
                [table],
            )
            extra = [(name, _neutral(kind)) for name, kind in cursor if name not in columns]
            names = ", ".join(columns + [name for name, _ in extra])
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                tail = tuple(value for _, value in extra)
                for row in rows:
                    copy.write_row(row + tail)
            if "id" in columns:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
        cursor.execute("ANALYZE")
