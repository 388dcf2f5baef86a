"""Z39.50, for clients that speak nothing else: the compose profile's gateway (Index Data's
Simple2ZOOM, Debian's libnet-z3950-simple2zoom-perl, started by docker/z3950/gateway.py from
docker/z3950/simple2zoom.xml) in front of the live SRU server, queried over Z39.50 by Debian's
yaz-client and zoomsh with Bib-1 use attributes: 4 title, 1003 author, 7 ISBN, 21 subject,
1016 any, 12 record number.

Without simple2zoom or yaz these tests skip (``apt-get install yaz
libnet-z3950-simple2zoom-perl``); CI installs both and sets SHELFMARK_YAZ_TESTS=required, which
turns the skip into a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from catalog.tests.factories import BookFactory, CopyFactory
from protocols import pqf
from protocols.tests.test_yaz import catalog, hits, require

__all__ = ["catalog"]  # the fixture, shared with the SRU tests

# Committed rows, for the live server's thread.
pytestmark = pytest.mark.django_db(transaction=True)

GATEWAY = Path(settings.BASE_DIR) / "docker" / "z3950" / "gateway.py"
TEMPLATE = GATEWAY.with_name("simple2zoom.xml")
# Seconds for the gateway to listen, and for one client run.
START_TIMEOUT = 20
CLIENT_TIMEOUT = 30


def require_simple2zoom() -> str:
    path = shutil.which("simple2zoom")
    if path is None:
        reason = "No simple2zoom: apt-get install libnet-z3950-simple2zoom-perl."
        if os.environ.get("SHELFMARK_YAZ_TESTS") == "required":
            pytest.fail(f"{reason} SHELFMARK_YAZ_TESTS=required: these tests may not skip.")
        pytest.skip(reason)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"simple2zoom exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.1)
        else:
            return
    pytest.fail(
        f"simple2zoom did not listen on {port} within {START_TIMEOUT} s:\n{log.read_text()}"
    )


@contextmanager
def running_gateway(sru_url: str, directory: Path) -> Iterator[str]:
    """docker/z3950/gateway.py as the image runs it, on a free port: yields "host:port"."""
    require_simple2zoom()
    port = free_port()
    log = directory / "simple2zoom.log"
    environ = {
        **os.environ,
        "SHELFMARK_SRU_URL": sru_url,
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "S2Z_CONFIG": str(directory / "simple2zoom.xml"),
        "Z3950_LISTEN": f"tcp:127.0.0.1:{port}",
    }
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own script, arguments of our own
            [sys.executable, str(GATEWAY)],
            env=environ,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the forked sessions end with it
        )
    try:
        wait_until_listening(process, port, log)
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def gateway(live_server, tmp_path_factory) -> Iterator[str]:
    """One gateway for the module, in front of the live server.

    Its SRU URL names 127.0.0.1 while the Host it sends is "localhost" (the first ALLOWED_HOSTS
    entry): the compose service's path from web:8000 to ALLOWED_HOSTS=library.example.org.
    """
    require("yaz-client")
    sru_url = live_server.url.replace("localhost", "127.0.0.1") + "/sru"
    with running_gateway(sru_url, tmp_path_factory.mktemp("z3950")) as address:
        yield address


def yaz_client(address: str, *commands: str, database: str | None = "shelfmark") -> str:
    """Open a Z39.50 session with yaz-client, run the commands, and return what it printed."""
    target = f"tcp:{address}" if database is None else f"tcp:{address}/{database}"
    script = "\n".join([f"open {target}", *commands, "quit"]) + "\n"
    result = subprocess.run(  # noqa: S603 - yaz's own tools, arguments of our own
        [require("yaz-client")],
        input=script,
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT,
        check=False,
    )
    return result.stdout + result.stderr


def zoomsh(address: str, *commands: str, database: str | None = "shelfmark") -> str:
    """zoomsh over Z39.50 (a host:port/database address, no http://)."""
    target = address if database is None else f"{address}/{database}"
    result = subprocess.run(  # noqa: S603 - yaz's own tools, arguments of our own
        [require("zoomsh"), f"connect {target}", *commands, "quit"],
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT,
        check=False,
    )
    return result.stdout + result.stderr


def yaz_hits(output: str) -> int:
    found = re.search(r"Number of hits: (\d+)", output)
    assert found, output
    return int(found.group(1))


@pytest.mark.parametrize(
    ("query", "count", "shown"),
    [
        ("@attr 1=4 middlemarch", 1, "245 10 $a Middlemarch"),
        ("@attr 1=1003 eliot", 2, "100 1  $a Eliot, George."),
        ("@attr 1=7 0141439548", 1, "020    $a 9780141439549"),
        ("@attr 1=21 rivers", 1, "The Mill on the Floss"),
        ("@attr 1=1016 matchmaking", 1, "Emma"),
        ("@and @attr 1=1003 eliot @attr 1=21 rivers", 1, "The Mill on the Floss"),
    ],
)
def test_yaz_client_finds_over_z3950_and_gets_usmarc(gateway, catalog, query, count, shown):
    output = yaz_client(gateway, "format usmarc", f"find {query}", "show 1")

    assert yaz_hits(output) == count, output
    assert "Record type: USmarc" in output, output  # ISO 2709, converted from the MARCXML
    assert shown in output, output


def test_a_usmarc_record_keeps_its_accents(gateway, catalog):
    BookFactory(title="Les Misérables", authors=["Victor Hugo"], subjects=["Émeutes"])

    output = yaz_client(gateway, "format usmarc", "find @attr 1=21 émeutes", "show 1")

    assert yaz_hits(output) == 1, output
    # UTF-8 (leader position 9 "a"), not MARC-8 and not mangled on the way.
    assert re.search(r"^\d{5}nam a", output, re.MULTILINE), output
    assert "245 10 $a Les Misérables." in output, output
    assert "650  4 $a Émeutes." in output, output


def test_yaz_client_gets_marcxml_in_the_xml_syntax(gateway, catalog):
    output = yaz_client(gateway, "format xml", "find @attr 1=4 middlemarch", "show 1")

    assert yaz_hits(output) == 1, output
    assert '<subfield code="a">Middlemarch.</subfield>' in output, output
    assert '<subfield code="p">B-0001</subfield>' in output  # the copy, as holdings


@pytest.mark.parametrize(
    ("query", "count", "shown"),
    [
        ("@attr 1=4 middlemarch", 1, "Middlemarch"),
        ("@attr 1=1003 eliot", 2, "Eliot, George."),
        ("@attr 1=7 978-0-14-143954-9", 1, "9780141439549"),
        ("@attr 1=21 matchmaking", 1, "Emma"),
        ("@attr 1=1016 floss", 1, "The Mill on the Floss"),
        # As library systems send them: structure 4=1 (phrase) and relation 2=3 (equal).
        ('@attr 1=1003 @attr 2=3 @attr 4=1 "george eliot"', 2, "Eliot, George."),
    ],
)
def test_zoomsh_finds_over_z3950(gateway, catalog, query, count, shown):
    output = zoomsh(gateway, "set preferredRecordSyntax usmarc", f"search {query}", "show 0 1")

    assert hits(output) == count, output
    assert shown in output, output


def test_the_record_number_finds_one_book(gateway, catalog):
    book = BookFactory(title="Romola", authors=["George Eliot"])

    output = yaz_client(gateway, "format xml", f"find @attr 1=12 {book.pk}", "show 1")

    assert yaz_hits(output) == 1, output
    assert '<subfield code="a">Romola.</subfield>' in output, output


def test_no_database_name_works_too(gateway, catalog):
    """yaz-client, zoomsh and other clients send "Default" when no database is named."""
    output = zoomsh(gateway, "search @attr 1=1003 austen", "show 0 1", database=None)
    assert hits(output) == 1, output
    assert "Emma" in output

    output = yaz_client(gateway, "find @attr 1=4 middlemarch", database=None)
    assert yaz_hits(output) == 1, output


def test_an_unsupported_use_attribute_is_a_bib1_diagnostic(gateway, catalog):
    output = yaz_client(gateway, "find @attr 1=1018 penguin", "find @attr 1=4 emma")

    # 114: unsupported use attribute (1018 is publisher); the session goes on.
    assert re.search(r"Diagnostic message\(s\) from database:\s+\[114\]", output), output
    assert "Number of hits: 1" in output, output


def test_an_unknown_database_is_a_bib1_diagnostic(gateway, catalog):
    output = zoomsh(gateway, "search @attr 1=4 emma", database="nosuchdb")

    assert "Database does not exist (Bib-1:235) nosuchdb" in output, output


def test_a_virtual_cfg_database_cannot_send_the_gateway_elsewhere(gateway, catalog):
    """Upstream Simple2ZOOM connects wherever a "cfg:address=..." database name says; ours
    knows only its configured databases (docker/z3950/simple2zoom-shelfmark)."""
    with socket.socket() as elsewhere:
        elsewhere.bind(("127.0.0.1", 0))
        elsewhere.listen()
        elsewhere.settimeout(0.5)
        target = f"127.0.0.1:{elsewhere.getsockname()[1]}"

        output = zoomsh(gateway, "search emma", database=f"cfg:address=http://{target}/sru")

        assert "Database does not exist (Bib-1:235)" in output, output
        with pytest.raises(TimeoutError):
            elsewhere.accept()  # nobody came


def test_a_book_added_later_is_found(gateway, catalog):
    """No copy of the catalog in the gateway: every search asks the SRU server."""
    BookFactory(title="Daniel Deronda", authors=["George Eliot"], subjects=["Jews"])
    CopyFactory(book=BookFactory(title="Silas Marner", authors=["George Eliot"]))

    assert yaz_hits(yaz_client(gateway, "find @attr 1=1003 eliot")) == 4


def test_an_sru_server_that_does_not_answer_is_a_bib1_diagnostic(tmp_path):
    """Not a hang: Bib-1 109 (database unavailable) at once when nothing listens."""
    require("zoomsh")
    with running_gateway(f"http://127.0.0.1:{free_port()}/sru", tmp_path) as address:
        started = time.monotonic()
        output = zoomsh(address, "search @attr 1=4 emma")

    assert "Database unavailable (Bib-1:109)" in output, output
    assert time.monotonic() - started < 10


def test_the_gateway_maps_the_same_use_attributes_as_the_sru_servers_pqf():
    """One mapping from Bib-1 to CQL: the gateway's (Z39.50) and x-pquery's (SRU) agree."""
    client = ET.parse(TEMPLATE).getroot()  # noqa: S314 - our own file
    maps = client.findall("database/search/map")
    gateway_use = {m.get("use"): m.findtext("index") for m in maps}

    assert gateway_use == pqf.USE
