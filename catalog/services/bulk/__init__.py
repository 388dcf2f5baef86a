"""Many books at once, for imports: the rules of ``book_create`` and ``copy_create``, the writes in
bulk.

An import file brings thousands of books a second. Writing them one by one through
``book_create`` would cost a dozen queries each; here a batch costs a fixed handful (the books
already there, the names already there, the barcodes already taken, then one insert per table),
while every value goes through the same rules (``catalog.rules``) as a single write and every
invariant stays a database constraint. By concept:

- ``checking``: each book against the rules, without the database (``books_check``);
- ``matching``: which books the catalog has already, and which it may have (never merged on a
  guess: the ISBN decides, else title, subtitle, every author, year and publisher);
- ``holdings``: what becomes of holdings without a barcode (no copy and a warning, or copies
  with generated barcodes);
- ``writing``: one insert per table (COPY on PostgreSQL);
- ``importing``: a batch through all of these in one transaction (``books_import``).

Each incoming book gets an ``Outcome``:

- ``created``: a new book (with its copies);
- ``skipped``: the book is in the catalog already (``matching``) and nothing in it changed;
- ``updated``: the book was there and gained copies, or (``on_duplicate="update"``) its fields
  changed to the file's non-empty values;
- ``failed``: the book breaks a rule; ``problems`` lists every problem, and nothing of it is
  written — not its book, not one of its copies.

Whatever the result, ``warnings`` lists what was noticed without stopping the book (a possible
duplicate, a holding without a barcode; the import's report shows both, each line marked as an
error or a warning).

So a second run over the same file changes nothing, and a run cut short (Ctrl-C, a crash) is
resumed by running it again: the batches that committed are matched, the rest is added.
"""

from catalog.services.bulk.checking import (
    IMPORT_STATUSES,
    BookIn,
    CleanBook,
    CopyIn,
    Problem,
    Verdict,
    books_check,
)
from catalog.services.bulk.holdings import (
    BARCODE_GENERATED,
    COPY_ALREADY_THERE,
    DEFAULT_PREFIX,
    NO_COPY_MADE,
    BarcodeMaker,
    barcodes_option,
)
from catalog.services.bulk.importing import (
    DUPLICATE_POLICIES,
    POSSIBLE_DUPLICATE,
    Outcome,
    Result,
    books_import,
    books_import_checked,
)
from catalog.services.bulk.matching import KeyIndex, MatchKey, match_text, same_book

__all__ = [
    "BARCODE_GENERATED",
    "COPY_ALREADY_THERE",
    "DEFAULT_PREFIX",
    "DUPLICATE_POLICIES",
    "IMPORT_STATUSES",
    "NO_COPY_MADE",
    "POSSIBLE_DUPLICATE",
    "BarcodeMaker",
    "BookIn",
    "CleanBook",
    "CopyIn",
    "KeyIndex",
    "MatchKey",
    "Outcome",
    "Problem",
    "Result",
    "Verdict",
    "barcodes_option",
    "books_check",
    "books_import",
    "books_import_checked",
    "match_text",
    "same_book",
]
