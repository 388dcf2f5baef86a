"""Writes the MARC sample files of the tests (run it from anywhere; it writes beside itself):

- ``loc_utf8.mrc``: five records modelled on Library of Congress records (UTF-8, leader/09 "a")
- ``loc_marc8.mrc``: two of them in MARC-8 (leader/09 blank). pymarc cannot encode MARC-8, so
  the MARC-8 bytes are written by hand: a combining diacritic (0xE2 acute, 0xE4 tilde) comes
  before its base letter, and pymarc writes our str as ISO 8859-1, byte for byte.
- ``loc.xml``: the UTF-8 records as MARCXML with a ``marc:`` namespace prefix
- ``loc_holdings_broken_752.mrc``: three MARC-8 records as a Library of Congress file has them:
  a 752 (hierarchical place name, which the import does not read) whose indicators are broken,
  and 852 holdings with call number and location but no barcode ($p)
- ``marc8_bad_escapes.mrc``: MARC-8 records whose text pymarc's decoder loses in silence: an
  escape sequence naming no character set in the title, an accent with nothing after it in the
  publisher, a control byte in a note (500, not read)
- ``marc8_labelled_utf8.mrc``: a MARC-8 record whose leader/09 says UTF-8
- ``russian_cp1251_labelled_marc8.mrc`` and ``russian_cp866_labelled_marc8.mrc``: Russian
  records in Windows-1251 and DOS 866 whose leader/09 says MARC-8
- ``leader_4504.mrc``: a record whose leader ends "4504" (not "4500")
- ``empty_collection.xml``: the MARCXML export of an empty catalog
- ``unimarc_cp866.mrc``: a UNIMARC record (title in 200) in DOS 866, and
  ``unimarc_cp866_blank_leader_counts.mrc``, the same with a long note and no MARC-like leader
- ``../broken/marc_*``: broken files, each with a test in ``tests/formats/test_marc.py``
"""

# Russian records are what some of these files hold: their letters are no Latin look-alikes.
# ruff: noqa: RUF001

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from pymarc import Field, Indicators, Record, Subfield
from pymarc.marcxml import record_to_xml_node

HERE = Path(__file__).parent
BROKEN = HERE.parent / "broken"


def fixed(entered: str, date1: str, place: str, language: str, literary_form: str) -> str:
    value = f"{entered}s{date1}    {place:<3}{'':11}000 {literary_form} {language} d"
    assert len(value) == 40
    return value


def data(tag: str, indicators: str, *subfields: str) -> Field:
    """``data("245", "10", "a", "Title /", "c", "Someone.")``"""
    pairs = zip(subfields[::2], subfields[1::2], strict=True)
    return Field(
        tag=tag,
        indicators=Indicators(indicators[0], indicators[1]),
        subfields=[Subfield(code=code, value=value) for code, value in pairs],
    )


def record(
    *fields: Field, leader: str = "00000cam a2200000 a 4500", unicode: bool = True
) -> Record:
    result = Record(leader=leader, to_unicode=unicode, force_utf8=unicode)
    for field in fields:
        result.add_field(field)
    return result


def pride_and_prejudice() -> Record:
    return record(
        Field(tag="001", data="12994345"),
        Field(tag="008", data=fixed("021119", "2003", "enk", "eng", "1")),
        data("020", "  ", "a", "0141439513 (pbk.)"),
        data("050", "00", "a", "PR4034", "b", ".P7 2003"),
        data("082", "04", "a", "823/.7", "2", "22"),
        data("100", "1 ", "a", "Austen, Jane,", "d", "1775-1817."),
        data(
            "245", "10", "a", "Pride and prejudice /",
            "c", "Jane Austen ; edited with an introduction and notes by Vivien Jones.",
        ),
        data("260", "  ", "a", "London :", "b", "Penguin Books,", "c", "2003."),
        data("300", "  ", "a", "xlii, 435 p. ;", "c", "20 cm."),
        data("520", "  ", "a", "The Bennet sisters and the marriage market of Regency England."),
        data("650", " 0", "a", "Courtship", "z", "England", "v", "Fiction."),
        data("650", " 0", "a", "Sisters", "z", "England", "v", "Fiction."),
        data("650", " 0", "a", "Courtship", "z", "England", "v", "Fiction."),
        data("700", "1 ", "a", "Jones, Vivien."),
        data(
            "952", "  ", "a", "MAIN", "b", "MAIN", "c", "FIC", "d", "2019-03-04",
            "o", "F AUS", "p", "31000000123", "y", "BK", "z", "Donated by the Friends",
        ),
    )  # fmt: skip


def the_hobbit() -> Record:
    return record(
        Field(tag="008", data=fixed("120410", "2012", "mau", "eng", "1")),
        data("020", "  ", "a", "9780547928227 (pbk.) :", "c", "$14.95"),
        data("020", "  ", "a", "054792822X (pbk.)"),
        data("050", "00", "a", "PZ8.T57", "b", "Ho 2012"),
        data(
            "100", "1 ", "a", "Tolkien, J. R. R.", "q", "(John Ronald Reuel),",
            "d", "1892-1973,", "e", "author.",
        ),
        data(
            "245", "14", "a", "The hobbit, or, There and back again /",
            "c", "J.R.R. Tolkien.",
        ),
        data("264", " 1", "a", "Boston :", "b", "Houghton Mifflin Harcourt,", "c", "2012."),
        data("264", " 4", "c", "©1966"),
        data("300", "  ", "a", "300 pages ;", "c", "21 cm"),
        data("650", " 0", "a", "Middle Earth (Imaginary place)", "v", "Fiction."),
        data("650", " 0", "a", "Fantasy fiction."),
        data("852", "  ", "b", "Main library", "c", "Fiction", "h", "F TOL", "p", "31000000456"),
        data("852", "  ", "b", "Branch", "p", "31000000457"),
    )  # fmt: skip


def cien_anos(marc8: bool = False) -> Record:
    # MARC-8 puts the combining accent (acute 0xE2, tilde 0xE4) before its letter.
    def text(utf8: str, marc8_bytes: str) -> str:
        return marc8_bytes if marc8 else utf8

    return record(
        Field(tag="008", data=fixed("070515", "2007", "sp ", "spa", "1")),
        data("020", "  ", "a", "978-84-376-2494-7"),
        data("082", "04", "a", "863/.64", "2", "22"),
        data(
            "100", "1 ",
            "a", text("García Márquez, Gabriel,", "Garc\xe2ia M\xe2arquez, Gabriel,"),
            "d", "1927-2014.",
        ),
        data(
            "245", "10",
            "a", text("Cien años de soledad /", "Cien a\xe4nos de soledad /"),
            "c", text(
                "Gabriel García Márquez ; edición de Jacques Joset.",
                "Gabriel Garc\xe2ia M\xe2arquez ; edici\xe2on de Jacques Joset.",
            ),
        ),
        data("260", "  ", "a", "Madrid :", "b", text("Cátedra,", "C\xe2atedra,"), "c", "c2007."),
        data("300", "  ", "a", "549 p. ;", "c", "18 cm."),
        data("650", " 0", "a", "Domestic fiction, Colombian."),
        data("952", "  ", "c", "SPA", "o", "863.64 GAR", "p", "31000000789"),
        leader="00000cam " + ("a" if not marc8 else " ") + "2200000 a 4500",
        unicode=not marc8,
    )  # fmt: skip


def les_miserables(marc8: bool = False) -> Record:
    title = "Les mis\xe2erables /" if marc8 else "Les misérables /"
    return record(
        Field(tag="008", data=fixed("950301", "1995", "fr ", "fre", "1")),
        data("020", "  ", "a", "2070409228 :", "c", "45F"),
        data("100", "1 ", "a", "Hugo, Victor,", "d", "1802-1885."),
        data("245", "13", "a", title, "c", "Victor Hugo ; édition établie par Yves Gohin."),
        data("264", " 1", "a", "Paris :", "b", "Gallimard,", "c", "[1995]"),
        data("300", "  ", "a", "2 v. (1996 p.) ;", "c", "18 cm."),
        data(
            "650", " 0", "a", "Poor", "z", "France", "x", "History", "y", "19th century",
            "v", "Fiction.",
        ),
        leader="00000cam " + ("a" if not marc8 else " ") + "2200000 i 4500",
        unicode=not marc8,
    )  # fmt: skip


def norwegian_wood() -> Record:
    return record(
        Field(tag="008", data=fixed("001020", "1987", "ja ", "jpn", "1")),
        data("020", "  ", "a", "4062035042"),
        data("090", "  ", "a", "PL856.U673", "b", "N67 1987"),
        data("100", "1 ", "a", "村上春樹,", "d", "1949-"),
        data("245", "10", "a", "ノルウェイの森 =", "b", "Noruei no mori /", "c", "村上春樹."),
        data("264", " 1", "a", "東京 :", "b", "講談社,", "c", "1987."),
        data("300", "  ", "a", "2 v. ;", "c", "20 cm"),
        data("952", "  ", "p", "31000000999", "c", "JPN", "z", "Set of 2 volumes & a slipcase"),
    )  # fmt: skip


def war_and_peace() -> Record:
    """A Russian record as a national library writes it (text in Cyrillic)."""
    return record(
        Field(tag="008", data=fixed("980312", "1978", "ru ", "rus", "1")),
        data("100", "1 ", "a", "Толстой, Лев Николаевич,", "d", "1828-1910."),
        data(
            "245", "10", "a", "Война и мир :", "b", "роман в четырех томах /",
            "c", "Л. Н. Толстой.",
        ),
        data("260", "  ", "a", "Москва :", "b", "Художественная литература,", "c", "1978."),
        data("300", "  ", "a", "1232 с. ;", "c", "22 см."),
        data("650", " 7", "a", "Русская литература", "y", "19 век."),
    )  # fmt: skip


def crime_and_punishment() -> Record:
    return record(
        Field(tag="008", data=fixed("990101", "1970", "ru ", "rus", "1")),
        data("100", "1 ", "a", "Достоевский, Федор Михайлович,", "d", "1821-1881."),
        data("245", "10", "a", "Преступление и наказание /", "c", "Ф. М. Достоевский."),
        data("260", "  ", "a", "Ленинград :", "b", "Наука,", "c", "1970."),
        data("650", " 7", "a", "Русская литература"),
    )  # fmt: skip


def in_code_page(source: Record, encoding: str) -> bytes:
    """The record with its text in ``encoding`` and a leader saying MARC-8, as a system that
    never converted its old records writes them."""
    legacy = record(leader="00000cam  2200000 a 4500", unicode=False)
    for field in source.fields:
        if field.is_control_field():
            legacy.add_field(field)
            continue
        subfields = [
            Subfield(sub.code, sub.value.encode(encoding).decode("latin-1")) for sub in field
        ]
        legacy.add_field(Field(tag=field.tag, indicators=field.indicators, subfields=subfields))
    return legacy.as_marc()


def loc_with_holdings(title: str, call_number: str, marc8_name: str) -> bytes:
    """A Library of Congress record in MARC-8, with a broken 752 and holdings without barcode."""
    built = record(
        Field(tag="001", data="  2001012345"),
        Field(tag="008", data=fixed("010315", "1998", "fr ", "fre", "0")),
        data("050", "00", "a", call_number),
        data("100", "1 ", "a", marc8_name),
        data("245", "10", "a", title),
        data("260", "  ", "a", "Paris :", "b", "Gallimard,", "c", "1998."),
        data("752", "  ", "a", "France", "d", "Paris."),
        data("852", "  ", "a", "DLC", "b", "c-GenColl", "h", call_number, "t", "Copy 1"),
        leader="00000cam  2200000 a 4500",
        unicode=False,
    ).as_marc()
    # The 752 lost its indicators: the directory entry is 2 bytes shorter, later offsets move.
    return _field_shortened(built, b"752", b"  \x1faFrance", b"\x1faFrance", 2)


def marc8_damaged(title: str, publisher: str, note: str) -> bytes:
    return record(
        Field(tag="008", data=fixed("050101", "1905", "fr ", "fre", "0")),
        data("245", "00", "a", title),
        data("260", "  ", "a", "Lyon :", "b", publisher, "c", "1905."),
        data("500", "  ", "a", note),
        leader="00000cas  2200000 a 4500",
        unicode=False,
    ).as_marc()


def utf8_records() -> list[Record]:
    return [pride_and_prejudice(), the_hobbit(), cien_anos(), les_miserables(), norwegian_wood()]


def marcxml(records: list[Record], prefix: str = "marc") -> bytes:
    """MARCXML with a namespace prefix, as many systems write it."""
    ns = "http://www.loc.gov/MARC21/slim"
    ElementTree.register_namespace(prefix, ns)
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<{prefix}:collection xmlns:{prefix}="{ns}">']
    for item in records:
        node = record_to_xml_node(item)
        for element in node.iter():
            element.tag = f"{{{ns}}}{element.tag}"
        text = ElementTree.tostring(node, encoding="unicode")
        parts.append(text.replace(f' xmlns:{prefix}="{ns}"', ""))
    parts.append(f"</{prefix}:collection>\n")
    return "\n".join(parts).encode("utf-8")


def main() -> None:
    (HERE / "loc_utf8.mrc").write_bytes(b"".join(r.as_marc() for r in utf8_records()))
    marc8 = [cien_anos(marc8=True), les_miserables(marc8=True)]
    (HERE / "loc_marc8.mrc").write_bytes(b"".join(r.as_marc() for r in marc8))
    (HERE / "loc.xml").write_bytes(marcxml(utf8_records()))
    (HERE / "loc_holdings_broken_752.mrc").write_bytes(
        loc_with_holdings("Les mis\xe2erables /", "PQ2286 .M5 1998", "Hugo, Victor,")
        + loc_with_holdings("Germinal /", "PQ2504 .G4 1998", "Zola, \xe2Emile,")
        + loc_with_holdings("Notre-Dame de Paris /", "PQ2286 .N6 1998", "Hugo, Victor,")
    )
    (HERE / "marc8_bad_escapes.mrc").write_bytes(
        # ESC ) followed by no set's final byte: pymarc swallows the accent that follows.
        marc8_damaged(
            "Bulletin mensuel de la Soci\xe2et\xe2e linn\x1b)\xe2eenne de Lyon.",
            "Soci\xe2et\xe2e linn\xe2eenne,",
            "Publi\xe2e depuis 1822.",
        )
        # An accent with no letter after it: pymarc drops it ("La Sociét").
        + marc8_damaged("Annales de la Soci\xe2et\xe2e botanique /", "La Soci\xe2et\xe2", "Vol. 1.")
        # A control byte (0x07) in a note, which the import does not read.
        + marc8_damaged("Revue horticole /", "Librairie agricole,", "Bell\x07 here.")
    )
    cien_marc8 = cien_anos(marc8=True).as_marc()
    (HERE / "marc8_labelled_utf8.mrc").write_bytes(cien_marc8[:9] + b"a" + cien_marc8[10:])
    russian = [war_and_peace(), crime_and_punishment()]
    for encoding in ("cp1251", "cp866"):
        path = HERE / f"russian_{encoding}_labelled_marc8.mrc"
        path.write_bytes(b"".join(in_code_page(item, encoding) for item in russian))
    pride = pride_and_prejudice().as_marc()
    (HERE / "leader_4504.mrc").write_bytes(pride[:20] + b"4504" + pride[24:])
    (HERE / "empty_collection.xml").write_bytes(
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<collection xmlns="http://www.loc.gov/MARC21/slim">\n</collection>\n'
    )
    unimarc = record(
        Field(tag="001", data="RU\\NLR\\bibl\\1"),
        data("010", "  ", "a", "5-280-00001-1"),
        data("200", "1 ", "a", "Война и мир", "f", "Л. Н. Толстой"),
        data("700", " 1", "a", "Толстой", "b", "Л. Н."),
        leader="00000nam0 2200000 i 450 ",
    )
    (HERE / "unimarc_cp866.mrc").write_bytes(in_code_page(unimarc, "cp866") * 20)
    # The same with a long note, and the leader's indicator and subfield counts (10-11) blank,
    # as some writers leave them: no MARC leader to recognise.
    summary = "Роман-эпопея Льва Толстого о русском обществе в эпоху войн против Наполеона. "
    unimarc.add_field(data("330", "  ", "a", summary * 8))
    blank_counts = in_code_page(unimarc, "cp866")
    (HERE / "unimarc_cp866_blank_leader_counts.mrc").write_bytes(
        (blank_counts[:10] + b"  " + blank_counts[12:]) * 5
    )
    write_broken()


def write_broken() -> None:
    good = pride_and_prejudice().as_marc()
    other = the_hobbit().as_marc()

    def broken(name: str, content: bytes) -> None:
        (BROKEN / name).write_bytes(content)

    broken("marc_empty.mrc", b"")
    broken("marc_not_marc.mrc", b"Title,Author,ISBN\nEmma,Jane Austen,9780141439587\n")
    broken("marc_is_marcxml.mrc", marcxml([pride_and_prejudice()]))
    # Leader/12-16 (base address of data) is not a number.
    broken("marc_bad_leader.mrc", other + good[:12] + b"0AB4X" + good[17:] + other)
    # The first record's length says 40 bytes more than it has (it swallows the next one's
    # start), the third's says 30 fewer.
    too_long = f"{len(good) + 40:05d}".encode() + good[5:]
    too_short = f"{len(other) - 30:05d}".encode() + other[5:]
    broken("marc_length_lies.mrc", too_long + other + too_short + good)
    # A file cut in the middle of its second record.
    broken("marc_truncated.mrc", good + other[: len(other) // 2])
    # The first directory entry (001) points far past the end of the record.
    directory_past_end = good[:24] + good[24:27] + b"0009" + b"90000" + good[36:]
    broken("marc_directory_past_end.mrc", directory_past_end + other)
    # The 245 of the first record has one indicator instead of two.
    broken("marc_bad_indicators.mrc", _one_indicator_245() + other)
    # A record without a 245 (no title) between two good ones.
    no_title = record(*(f for f in the_hobbit().fields if f.tag != "245")).as_marc()
    broken("marc_no_245.mrc", good + no_title + other)
    # Leader/09 says UTF-8 but the title holds ISO 8859-1 bytes ("Ã©" would be right).
    bad_utf8 = good.replace(b"Pride and prejudice", "Pr\xe9de and prejudice".encode("latin-1"))
    broken("marc_bad_utf8.mrc", bad_utf8 + other)
    # Text (an e-mail signature, say) pasted between two records.
    broken("marc_junk_between.mrc", good + b"-- sent from my phone\x1d" + other)
    xml_good = marcxml([pride_and_prejudice(), the_hobbit()]).decode()
    second_record = xml_good.index("<marc:record>", xml_good.index("</marc:record>"))
    cut = xml_good.index("<marc:datafield", second_record)
    broken(
        "marc_xml_broken_mid_file.xml",
        (xml_good[:cut] + "<marc:datafield tag='245' ind1='1'><oops></marc:datafield>").encode(),
    )
    broken(
        "marc_xml_billion_laughs.xml",
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
        b'<collection xmlns="http://www.loc.gov/MARC21/slim"><record><leader>&lol2;</leader>'
        b"</record></collection>\n",
    )
    broken(
        "marc_xml_external_entity.xml",
        b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b"<record><leader>&x;</leader></record>\n",
    )
    broken(
        "marc_xml_not_marc.xml",
        b'<?xml version="1.0"?>\n<library><book><title>Emma</title></book></library>\n',
    )
    broken(
        "marc_xml_bad_indicators.xml",
        xml_good.replace('ind1="1" ind2="0" tag="245"', 'ind1="10" ind2="0" tag="245"', 1).encode(),
    )


def _field_shortened(raw: bytes, tag: bytes, old: bytes, new: bytes, by: int) -> bytes:
    """The record with ``old`` replaced by ``new`` in the field ``tag``, which is ``by`` bytes
    shorter: its directory length and every later offset are changed to match."""
    base = int(raw[12:17])
    directory = bytearray(raw[24 : base - 1])
    shift = 0
    for start in range(0, len(directory), 12):
        entry_tag = bytes(directory[start : start + 3])
        length = int(directory[start + 3 : start + 7])
        offset = int(directory[start + 7 : start + 12]) - shift
        if entry_tag == tag:
            length -= by
            shift = by
        directory[start + 3 : start + 12] = f"{length:04d}{offset:05d}".encode()
    body = raw[base:].replace(old, new, 1)
    total = len(raw) - by
    return f"{total:05d}".encode() + raw[5:24] + bytes(directory) + raw[base - 1 : base] + body


def _one_indicator_245() -> bytes:
    raw = pride_and_prejudice().as_marc()
    return _relength(raw.replace(b"10\x1faPride", b"1\x1faPride"))


def _relength(raw: bytes) -> bytes:
    """The record with the 245's length in the directory one byte shorter (it lost a byte)
    and every later offset moved, so that only the indicators are wrong."""
    base = int(raw[12:17])
    directory = bytearray(raw[24 : base - 1])
    shift = 0
    for start in range(0, len(directory), 12):
        tag = bytes(directory[start : start + 3])
        length = int(directory[start + 3 : start + 7])
        offset = int(directory[start + 7 : start + 12]) - shift
        if tag == b"245":
            length -= 1
            shift = 1
        directory[start + 3 : start + 12] = f"{length:04d}{offset:05d}".encode()
    body = raw[base:]
    total = len(raw)
    return f"{total:05d}".encode() + raw[5:24] + bytes(directory) + raw[base - 1 : base] + body


if __name__ == "__main__":
    main()
