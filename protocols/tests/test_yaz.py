"""The SRU server queried by real clients nobody on this project wrote: Debian's yaz package
(Index Data's ``zoomsh`` and ``yaz-client``), over HTTP against the live server, by title,
author, ISBN and subject, with GET and POST.

Without yaz these tests skip (``apt-get install yaz``); CI installs it and sets
SHELFMARK_YAZ_TESTS=required, which turns the skip into a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from catalog.tests.factories import BookFactory, CopyFactory

# Committed rows, for the live server's thread.
pytestmark = pytest.mark.django_db(transaction=True)


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        reason = f"No {tool}: install Debian's yaz package (apt-get install yaz)."
        if os.environ.get("SHELFMARK_YAZ_TESTS") == "required":
            pytest.fail(f"{reason} SHELFMARK_YAZ_TESTS=required: these tests may not skip.")
        pytest.skip(reason)
    return path


@pytest.fixture
def catalog():
    middlemarch = BookFactory(
        title="Middlemarch",
        authors=["George Eliot"],
        subjects=["Psychological fiction"],
        isbn="9780141439549",
    )
    CopyFactory(book=middlemarch, barcode="B-0001", call_number="823 ELI")
    BookFactory(title="The Mill on the Floss", authors=["George Eliot"], subjects=["Rivers"])
    BookFactory(title="Emma", authors=["Jane Austen"], subjects=["Matchmaking"])


def zoomsh(url: str, query: str, *, version: str = "1.2", query_type: str = "cql:") -> str:
    """Search with zoomsh (ZOOM, SRU over GET) and show the first record."""
    result = subprocess.run(  # noqa: S603 - yaz's own tools, arguments of our own
        [
            require("zoomsh"),
            "set sru get",
            f"set sru_version {version}",
            f"connect {url}/sru",
            f"search {query_type}{query}",
            "show 0 1",
            "quit",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result.stdout + result.stderr


def hits(output: str) -> int:
    found = re.search(r": (\d+) hits", output)
    assert found, output
    return int(found.group(1))


@pytest.mark.parametrize(
    ("query", "count", "shown"),
    [
        ("dc.title=middlemarch", 1, "Middlemarch"),
        ("dc.creator=eliot", 2, "Eliot, George."),
        ("bath.isbn=0141439548", 1, '<subfield code="a">9780141439549</subfield>'),
        ("dc.subject=rivers", 1, "The Mill on the Floss"),
        ('dc.title any "emma floss"', 2, "<record"),
    ],
)
def test_zoomsh_finds_by_title_author_isbn_and_subject(live_server, catalog, query, count, shown):
    output = zoomsh(live_server.url, query)

    assert hits(output) == count, output
    assert shown in output


def test_zoomsh_gets_the_servers_diagnostic_for_a_bad_query(live_server, catalog):
    output = zoomsh(live_server.url, "dc.publisher=penguin")

    assert "info:srw/diagnostic/1:16" in output, output


@pytest.mark.parametrize("method", ["get", "post"])
def test_yaz_client_searches_and_shows_a_marcxml_record(live_server, catalog, method):
    commands = "\n".join(
        [
            f"sru {method} 1.2",
            f"open {live_server.url}/sru",
            "querytype cql",
            "find dc.title=middlemarch",
            "show 1",
            "quit",
        ]
    )
    result = subprocess.run(  # noqa: S603 - yaz's own tools, arguments of our own
        [require("yaz-client")],
        input=commands + "\n",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert "Number of hits: 1" in result.stdout, result.stdout + result.stderr
    assert "schema=info:srw/schema/1/marcxml-v1.1" in result.stdout
    assert '<subfield code="p">B-0001</subfield>' in result.stdout  # the copy, as holdings


def test_zoomsh_speaks_sru_2_0_too(live_server, catalog):
    output = zoomsh(live_server.url, "dc.creator=austen", version="2.0")

    assert hits(output) == 1, output
    assert "Emma" in output


def test_zoomsh_with_its_default_pqf_and_bib1_attributes(live_server, catalog):
    """Without "cql:", zoomsh sends its query as PQF (x-pquery), Z39.50's attributes."""
    assert hits(zoomsh(live_server.url, "@attr 1=1003 eliot", query_type="")) == 2
    both = zoomsh(live_server.url, "@and @attr 1=1003 eliot @attr 1=21 rivers", query_type="")
    assert hits(both) == 1
    assert "The Mill on the Floss" in both
