"""protocols.pqf: PQF (Bib-1 attributes) read into the CQL tree the SRU server runs."""

from __future__ import annotations

import pytest

from protocols import cql, pqf


@pytest.mark.parametrize(
    ("text", "as_cql"),
    [
        ("middlemarch", "middlemarch"),
        ("@attr 1=4 middlemarch", "dc.title = middlemarch"),
        ('@attr 1=1003 "george eliot"', 'dc.creator = "george eliot"'),
        ("@attrset bib-1 @attr 1=7 0141439548", "bath.isbn = 0141439548"),
        ("@attr 1=21 @attr 2=3 fiction", "dc.subject = fiction"),
        ("@attr 1=1016 @attr 5=1 midd", "cql.anywhere = midd*"),
        ('@attr 1=4 @attr 4=1 "mill on the"', 'dc.title adj "mill on the"'),
        ("@attr 1=12 42", "rec.id = 42"),
        ('@attr 1=4 "a*b"', 'dc.title = "a\\*b"'),  # a star in PQF is a literal one
        (
            "@and @attr 1=1003 eliot @or @attr 1=4 middlemarch @attr 1=4 floss",
            "dc.creator = eliot and (dc.title = middlemarch or dc.title = floss)",
        ),
        ("@not fiction @attr 1=1003 austen", "fiction not dc.creator = austen"),
        ('"@and"', '"@and"'),  # quoted: a term
    ],
)
def test_pqf_reads_as_the_cql_it_means(text, as_cql):
    assert pqf.parse(text) == cql.parse(as_cql)


@pytest.mark.parametrize(
    ("text", "diagnostic"),
    [
        ("", cql.QUERY_SYNTAX_ERROR),
        ("@and emma", cql.QUERY_SYNTAX_ERROR),
        ("@attr 1=4", cql.QUERY_SYNTAX_ERROR),
        ("@attr 14 emma", cql.QUERY_SYNTAX_ERROR),
        ("emma eyre", cql.QUERY_SYNTAX_ERROR),
        ("@prox 0 1 0 2 k 2 emma eyre", cql.QUERY_SYNTAX_ERROR),
        ("@attrset gils emma", cql.UNSUPPORTED_CONTEXT_SET),
        ("@attr 1=1018 penguin", cql.UNSUPPORTED_INDEX),
        ("@attr 1=4 @attr 2=1 emma", cql.UNSUPPORTED_RELATION),
        ("@attr 1=4 @attr 5=2 emma", cql.MASKING_NOT_SUPPORTED),
        ("@attr 1=4 @attr 7=1 emma", cql.QUERY_SYNTAX_ERROR),
    ],
)
def test_what_pqf_cannot_say_here_gets_its_diagnostic(text, diagnostic):
    with pytest.raises(pqf.PQFError) as error:
        pqf.parse(text)

    assert error.value.diagnostic == diagnostic
