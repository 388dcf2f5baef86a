"""The spreadsheet guard of CSV cells: never a formula written, always the value read back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interchange.cells import FORMULA_STARTS, inert, readable

# Text heavy in what matters here: apostrophes and formula characters at the start.
starts = st.text(alphabet="'=+-@\t\ra ", max_size=4)


@given(st.builds(str.__add__, starts, st.text(max_size=10)))
def test_a_guarded_cell_reads_back_to_its_value(text):
    assert readable(inert(text)) == text
    assert not inert(text).startswith(FORMULA_STARTS)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("@Evil Author", "'@Evil Author"),
        ("+BC2", "'+BC2"),
        ("-", "'-"),
        ("-300", "'-300"),
        ("\tx", "'\tx"),
        ("'=x", "''=x"),
        ("'tis", "'tis"),
        ("'", "'"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_cells(value, cell):
    assert inert(value) == cell
    assert readable(cell) == value
