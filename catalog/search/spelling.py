"""Typo tolerance: a query word that matches no book, or far fewer than a word spelt almost
the same, is matched as that word as well ("histroy" as "history", "dickins" as "dickens").

The vocabulary (``catalog.models.SearchWord``) holds every word of the catalog worth correcting,
with the number of books it is in. A search looks up at most: the typed words' counts (one
query, plus one for the last word's completions) and the rare words' nearest vocabulary words
through the database's trigram index (pg_trgm on PostgreSQL, an FTS5 trigram table on SQLite),
all in one query: three statements of index look-ups at most, never a scan of the books.

Corrections are added as alternatives, never substituted: a correction can bring in the books
the patron meant, and can never hide one the typed word found.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from django.db import connections
from django.db.models import Q

from catalog.models import SearchWord
from catalog.search.text import MIN_VOCABULARY_WORD, Term

# A typed word found in at least this many books is never corrected (nor looked up further).
COMMON = 50
# A correction is used when the typed word matches nothing, or when the corrected word is in at
# least this many times as many books ("dickins", a prefix of Emily Dickinson, still means
# Dickens; "harr", a prefix of Harry, is not corrected to "hard").
MORE_COMMON_BY = 3
MIN_SIMILARITY = 0.3

# A backend's look-up: for each word, vocabulary words like it, as (word, books).
Candidates = Callable[[Sequence[str]], dict[str, list[tuple[str, int]]]]


def correctable(term: Term) -> bool:
    return (
        not term.stop
        and len(term.word) >= MIN_VOCABULARY_WORD
        and not any(ch.isdigit() for ch in term.word)
    )


def corrected(terms: Sequence[Term], *, candidates: Candidates, using: str) -> list[Term]:
    """``terms`` with spelling alternatives added to the rare ones."""
    rare = [term for term in terms if correctable(term)]
    if not rare:
        return list(terms)
    counts = _typed_counts(rare, using=using)
    rare = [term for term in rare if counts.get(term.word, 0) < COMMON]
    nearby = candidates([term.word for term in rare]) if rare else {}
    found: dict[str, str] = {}
    for term in rare:
        best = best_correction(term, nearby.get(term.word, []), hits=counts.get(term.word, 0))
        if best is not None:
            found[term.word] = best
    return [
        replace(term, alternatives=(found[term.word],)) if term.word in found else term
        for term in terms
    ]


def _typed_counts(terms: Sequence[Term], *, using: str) -> dict[str, int]:
    """How many books each typed word is in, by the vocabulary; for the last word (a prefix),
    the books of every word it begins, counted up to COMMON."""
    words = SearchWord.objects.using(using)
    exact = [term.word for term in terms if not term.prefix]
    counts = dict(words.filter(word__in=exact).values_list("word", "books")) if exact else {}
    for term in terms:
        if term.prefix:
            completions = words.filter(_starts_with(term.word, using=using), books__gt=0)
            counts[term.word] = sum(
                completions.order_by("word").values_list("books", flat=True)[:COMMON]
            )
    return counts


def _starts_with(prefix: str, *, using: str) -> Q:
    if connections[using].vendor == "sqlite":
        # SQLite's LIKE ignores case and so cannot use the index; a range over the words'
        # binary order can (every word beginning with the prefix sorts between these two).
        return Q(word__gte=prefix, word__lt=prefix + "\U0010ffff")
    return Q(word__startswith=prefix)  # PostgreSQL: the pattern-ops index Django adds


def best_correction(term: Term, found: Sequence[tuple[str, int]], *, hits: int) -> str | None:
    """The vocabulary word ``term`` most likely meant, or None: the fewest edits (at most 1 for
    words of 4 letters or fewer, 2 beyond), then the most similar, then the most common; used
    only when it is in MORE_COMMON_BY times as many books as the typed word."""
    allowed = 1 if len(term.word) <= 4 else 2
    ranked = []
    for word, books in found:
        if word == term.word or (term.prefix and word.startswith(term.word)):
            continue  # what the typed word matches already
        distance = edit_distance(term.word, word)
        similar = similarity(term.word, word)
        if distance <= allowed and similar >= MIN_SIMILARITY:
            ranked.append((distance, -similar, -books, word, books))
    if not ranked:
        return None
    *_, word, books = min(ranked)
    if hits == 0 or books >= MORE_COMMON_BY * hits:
        return word
    return None


def edit_distance(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from ``a`` to ``b``:
    "tolkein" is one edit from "tolkien"."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current.append(value)
        previous2, previous = previous, current
    return previous[-1]


def _trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity: shared trigrams over all trigrams of both padded words."""
    ta, tb = _trigrams(a), _trigrams(b)
    return len(ta & tb) / len(ta | tb)
