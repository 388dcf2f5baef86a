import pytest
from hypothesis import given
from hypothesis import strategies as st
from iso639 import iter_langs

from interchange.languages import from_marc, to_marc


@pytest.mark.parametrize(
    ("marc", "catalog"),
    [
        ("eng", "en"),
        ("fre", "fr"),
        ("fra", "fr"),
        ("ger", "de"),
        ("deu", "de"),
        ("jpn", "ja"),
        ("ENG", "en"),
        ("grc", "grc"),  # Ancient Greek has no two-letter code
        ("   ", ""),
        ("und", ""),
        ("zxx", ""),
        ("mul", ""),
        ("", ""),
        ("xyz", "xyz"),  # unknown: kept for the catalog's rule to judge
    ],
)
def test_from_marc(marc: str, catalog: str) -> None:
    assert from_marc(marc) == catalog


@pytest.mark.parametrize(
    ("catalog", "marc"),
    [("en", "eng"), ("fr", "fre"), ("de", "ger"), ("grc", "grc"), ("fra", "fre"), ("", "")],
)
def test_to_marc_writes_the_bibliographic_code(catalog: str, marc: str) -> None:
    assert to_marc(catalog) == marc


def test_a_language_name_is_not_a_code() -> None:
    assert from_marc("French") == "french"


# The catalog's codes: the two-letter one where it exists, else the three-letter one.
CATALOG_CODES = sorted(
    {lang.pt1 or lang.pt2b or lang.pt3 for lang in iter_langs()} - {"und", "zxx", "mul"}
)


@given(st.sampled_from(CATALOG_CODES))
def test_round_trip(code: str) -> None:
    assert from_marc(to_marc(code)) == code
