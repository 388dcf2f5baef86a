"""Finding the format, counting bytes, patrons, and the list escaping of our CSV."""

from __future__ import annotations

import io

import pytest

from interchange.cells import join_list, split_list
from interchange.formats import open_patron_source, sniff_format
from interchange.formats.text import detect_delimiter
from interchange.tests.formats.conftest import DATA


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b'<?xml version="1.0"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">', "marcxml"),
        (b"\xef\xbb\xbf<marc:record xmlns:marc='http://www.loc.gov/MARC21/slim'>", "marcxml"),
        (b"<record><leader>", "marcxml"),
        (b"00714cam a2200205 a 4500001001300000", "marc"),
        (b'  {"format": "shelfmark-catalog"', "json"),
        (b"\xef\xbb\xbf[{}]", "json"),
        (b"title,authors\n", "text"),
    ],
)
def test_sniff_format(head, kind):
    assert sniff_format(head) == kind


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ('"x;y",b', ","), ("title", ",")],
)
def test_detect_delimiter(line, delimiter):
    assert detect_delimiter(line + "\n1;2\t3") == delimiter


class Unseekable(io.RawIOBase):
    """An upload or a pipe: read only."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_bytes_read_and_size_on_a_file(read):
    source, _ = read("shelfmark_catalog.csv")
    size = (DATA / "shelfmark_catalog.csv").stat().st_size
    assert source.size == size
    assert source.bytes_read == size


def test_unseekable_file_is_read_once_in_full():
    from interchange.formats import open_catalog_source

    data = (DATA / "goodreads_library_export.csv").read_bytes()
    source = open_catalog_source(Unseekable(data))  # type: ignore[arg-type]
    assert source.size is None
    assert len(list(source.records())) == 13
    assert source.bytes_read == len(data)


def test_patrons():
    with (DATA / "patrons.csv").open("rb") as file:
        source = open_patron_source(file)
        records = list(source.records())
    assert source.mapping["Expires"] == "expires_on"
    assert [record.number for record in records] == [2, 3, 4, 5]
    ana = records[0]
    assert (ana.name, ana.card_number, ana.email, ana.phone, ana.category, ana.expires_on) == (
        "Ana María López",
        "P0001",
        "ana@example.org",
        "+34 600 111 222",
        "Adult",
        "2026-06-30",
    )
    assert records[3].name == "Nguyễn Văn An"


def test_patrons_first_and_last_name_columns():
    data = "Last name;First name;Barcode;Class\nWeiß;Jürgen;P9;Staff\n".encode("cp1252")
    [record] = open_patron_source(io.BytesIO(data)).records()
    assert (record.name, record.card_number, record.category) == ("Jürgen Weiß", "P9", "Staff")


@pytest.mark.parametrize(
    "items",
    [
        ["Jane Austen"],
        ["Terry Pratchett", "Neil Gaiman"],
        ["Smith; Jones & Co.", "A\\B"],
        ["ends with \\", "x"],
        ["\\;", ";;", "\\\\"],
        [],
    ],
)
def test_list_escaping_round_trips(items):
    assert split_list(join_list(items)) == items


def test_split_list_reads_hand_made_cells():
    assert split_list("Austen, Jane; ; Brontë, Charlotte;") == ["Austen, Jane", "Brontë, Charlotte"]
    assert split_list(r"C:\books; x") == [r"C:\books", "x"]  # a stray "\" stays
