import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import ean
from stdnum import isbn as stdnum_isbn

from catalog.isbn import IsbnError, format_isbn, isbn10_or_none, normalize_isbn, try_normalize_isbn

digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


def isbn10_from(body: str) -> str:
    return body + stdnum_isbn._calc_isbn10_check_digit(body)


def isbn13_from(body12: str) -> str:
    return body12 + ean.calc_check_digit(body12)


def sprinkle(value: str, separators: list[str]) -> str:
    """Insert separators between characters, as people type ISBNs."""
    out = []
    for index, char in enumerate(value):
        out.append(char)
        if index < len(separators) and index < len(value) - 1:
            out.append(separators[index])
    return "".join(out)


separators = st.lists(st.sampled_from(["", "", "-", " "]), max_size=12)


@given(body=digits, seps=separators)
def test_isbn10_in_any_spelling_normalizes_to_its_isbn13(body, seps):
    isbn10 = isbn10_from(body)
    expected = isbn13_from("978" + body)
    assert normalize_isbn(sprinkle(isbn10, seps)) == expected
    assert normalize_isbn(sprinkle(isbn10.lower(), seps)) == expected  # a lower-case x


@given(body=digits, prefix=st.sampled_from(["978", "979"]), seps=separators)
def test_isbn13_normalization_is_idempotent_and_keeps_digits(body, prefix, seps):
    isbn13 = isbn13_from(prefix + body)
    normalized = normalize_isbn(sprinkle(isbn13, seps))
    assert normalized == isbn13
    assert normalize_isbn(normalized) == normalized
    assert normalize_isbn(format_isbn(normalized)) == normalized


@given(body=digits, wrong=st.integers(min_value=1, max_value=9))
def test_any_wrong_check_digit_is_rejected_as_such(body, wrong):
    isbn13 = isbn13_from("978" + body)
    bad = isbn13[:-1] + str((int(isbn13[-1]) + wrong) % 10)
    with pytest.raises(IsbnError, match="wrong check digit"):
        normalize_isbn(bad)


@given(length=st.integers(min_value=1, max_value=20).filter(lambda n: n not in (10, 13)))
def test_wrong_length_is_named(length):
    with pytest.raises(IsbnError, match="10 or 13 digits"):
        normalize_isbn("7" * length)


@given(text=st.text(min_size=1, max_size=30))
def test_arbitrary_text_never_crashes_and_valid_results_are_isbn13(text):
    result = try_normalize_isbn(text)
    assert result is None or (
        len(result) == 13 and result.isdigit() and stdnum_isbn.is_valid(result)
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0-306-40615-3", "wrong check digit"),
        ("12345", "10 or 13 digits"),
        ("abcdefghij", "not a number"),
        ("978-0-306-4061X-7", "not a number"),
        ("9771234567003", "starts with 978 or 979"),
        ("978014143951X", "only an ISBN-10 may end in X"),
    ],
)
def test_error_messages_say_what_is_wrong(value, message):
    with pytest.raises(IsbnError, match=message):
        normalize_isbn(value)


def test_known_isbns():
    assert normalize_isbn("0-306-40615-2") == "9780306406157"
    assert normalize_isbn("080442957X") == "9780804429573"
    assert normalize_isbn(" 978 0 14 143951 8 ") == "9780141439518"
    assert format_isbn("9780141439518") == "978-0-14-143951-8"
    assert isbn10_or_none("9780306406157") == "0306406152"
    assert isbn10_or_none("9791090636071") is None
