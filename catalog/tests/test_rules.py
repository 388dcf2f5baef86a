"""catalog.rules: each field rule once, with one message, and every problem reported at once."""

from __future__ import annotations

import pytest
from django.db import models
from hypothesis import given
from hypothesis import strategies as st

from catalog import rules
from catalog.models import Book, Copy
from shelfmark.errors import InvalidInput, RuleError


def test_sort_name_for():
    assert rules.sort_name_for("Jane Austen") == "Austen, Jane"
    assert rules.sort_name_for("J. R. R. Tolkien") == "Tolkien, J. R. R."
    assert rules.sort_name_for("Homer") == "Homer"


@pytest.mark.parametrize(
    ("rule", "raw", "clean"),
    [
        (rules.clean_title, "  Good \n  Omens ", "Good Omens"),
        (rules.squash_spaces, None, ""),
        (rules.clean_text, "  two\n\nparagraphs \n", "two\n\nparagraphs"),
        (rules.clean_name, " Ursula  K. Le Guin ", "Ursula K. Le Guin"),
        (rules.clean_isbn, "0-575-04800-X", "9780575048003"),
        (rules.clean_isbn, "  ", None),
        (rules.clean_isbn, None, None),
        (rules.clean_language, " EN ", "en"),
        (rules.clean_language, "", ""),
        (rules.clean_barcode, "  A-001 ", "A-001"),
        (rules.clean_year, -800, -800),
        (rules.clean_year, None, None),
        (rules.clean_pages, 320, 320),
    ],
)
def test_rules_clean(rule, raw, clean):
    assert rule(raw) == clean


@pytest.mark.parametrize(
    ("rule", "raw", "fragment"),
    [
        (rules.clean_title, " \t", "needs a title"),
        (rules.clean_name, "", "may not be blank"),
        (rules.clean_isbn, "0-306-40615-3", "wrong check digit"),
        (rules.clean_isbn, "12345", "10 or 13 digits"),
        (rules.clean_language, "english", "ISO 639"),
        (rules.clean_language, "e1", "ISO 639"),
        (rules.clean_barcode, "A 1", "may not contain spaces"),
        (rules.clean_barcode, " ", "needs a barcode"),
        (rules.clean_year, 20233, "from -3000 to 2100"),
        (rules.clean_year, True, "whole number"),
        (rules.clean_pages, 0, "from 1 to 100000"),
    ],
)
def test_rules_say_what_is_wrong(rule, raw, fragment):
    with pytest.raises(RuleError, match=fragment):
        rule(raw)


@given(st.text(max_size=40))
def test_squash_spaces_is_idempotent_and_single_line(text):
    once = rules.squash_spaces(text)
    assert rules.squash_spaces(once) == once
    assert "\n" not in once
    assert once == once.strip()


def test_clean_fields_reports_every_broken_field_at_once():
    with pytest.raises(InvalidInput) as error:
        rules.clean_fields(
            rules.BOOK_RULES,
            {"title": " ", "isbn": "978-0-14-143951-9", "year": 20233, "language": "en"},
        )
    assert set(error.value.fields) == {"title", "isbn", "year"}
    assert error.value.fields["year"] == [
        "The publication year must be from -3000 to 2100; 20233 is not."
    ]


def test_clean_fields_with_one_problem_says_it_in_the_message():
    with pytest.raises(InvalidInput) as error:
        rules.clean_fields(rules.BOOK_RULES, {"title": ""})
    assert error.value.message == "A book needs a title."
    assert error.value.field == "title"


def test_a_field_without_a_rule_is_a_programming_error():
    with pytest.raises(TypeError, match="colour"):
        rules.clean_fields(rules.BOOK_RULES, {"colour": "red"})


# --- Adding a field: the checklist, enforced --------------------------------------------------


def _editable_columns(model: type[models.Model], *, leave_out: set[str]) -> set[str]:
    return {
        field.name
        for field in model._meta.get_fields()
        if field.concrete
        and not field.many_to_many
        and field.editable
        and not field.primary_key
        and field.name not in leave_out
    }


def test_every_editable_book_column_has_a_rule_a_service_argument_and_an_api_field():
    from catalog.selectors import BOOK_FIELDS
    from catalog.serializers import BookInputSerializer, BookSerializer

    # The cover is a file, not a text field: catalog.services.book_cover_set (and the admin's
    # upload) check it with rules.clean_cover; the API shows its URL (BOOK_FIELDS) and takes no
    # upload in JSON.
    columns = _editable_columns(Book, leave_out={"created_at", "updated_at", "cover"})
    assert set(rules.BOOK_RULES) == columns
    assert set(rules.BookFields.__annotations__) | {"title"} == columns  # book_create/_update
    assert columns <= set(BookInputSerializer().fields)
    assert columns <= set(BOOK_FIELDS) <= set(BookSerializer().fields)


def test_every_editable_copy_column_has_a_rule_a_service_argument_and_an_api_field():
    from catalog.serializers import CopyInputSerializer, CopySerializer

    columns = _editable_columns(Copy, leave_out={"created_at", "updated_at", "book", "status"})
    assert set(rules.COPY_RULES) == columns
    assert set(rules.CopyFields.__annotations__) | {"barcode"} == columns
    assert columns | {"book", "status"} <= set(CopyInputSerializer().fields)
    assert columns | {"book", "status"} <= set(CopySerializer().fields)


# --- Unicode that looks the same is the same ---------------------------------------------------

NFD_BRONTE = "Charlotte Bronte\u0308"  # "e" + combining diaeresis
NFC_BRONTE = "Charlotte Brontë"


def test_names_and_titles_are_stored_composed():
    assert rules.clean_name(NFD_BRONTE) == NFC_BRONTE
    assert rules.clean_title("Ange\u0301lique") == "Angélique"
    assert rules.clean_text("Cafe\u0301\n\nsecond paragraph") == "Café\n\nsecond paragraph"


@pytest.mark.parametrize("invisible", ["\u200b", "\u200b\u200c\u2060", "\ufeff", "\x01\u200d"])
def test_a_title_or_name_of_only_invisible_characters_is_blank(invisible):
    with pytest.raises(RuleError, match="needs a title"):
        rules.clean_title(invisible)
    with pytest.raises(RuleError, match="may not be blank"):
        rules.clean_name(f" {invisible} ")


def test_invisible_characters_go_from_the_ends_but_stay_inside_words():
    # Persian writes some words with a zero-width non-joiner; removing it would misspell them.
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    assert rules.clean_title(f"\u200b{persian}\u200b") == persian
    assert rules.clean_name("\ufeffJane\x07 Austen\u200b") == "Jane Austen"


@pytest.mark.parametrize("barcode", ["\u200b", "AB\u200bC", "\u2060123", "12\x003"])
def test_invisible_barcodes_are_refused(barcode):
    with pytest.raises(RuleError, match="barcode"):
        rules.clean_barcode(barcode)
