"""The SIP2 server against a client nobody on this project wrote: the PyPI ``sip2`` package, as a
self-check kiosk would use it, over TCP to the server running in a thread of the test. Then
what a kiosk should never be able to break: malformed messages, wrong checksums, unknown
patrons and copies, wrong passwords, dropped and idle connections, and TLS."""

from __future__ import annotations

import datetime
import logging
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from contextlib import suppress
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.utils import timezone
from Sip2.sip2 import Sip2

from catalog.models import CopyStatus
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CirculationEvent, EventKind, Hold, HoldStatus, Loan
from circulation.selectors import status_disagreements
from circulation.tests.factories import PatronFactory
from protocols.sip2 import codec, messages
from protocols.sip2.server import Server, tls_context

# Committed rows, for the server's threads.
pytestmark = pytest.mark.django_db(transaction=True)

KIOSK_USER, KIOSK_PASSWORD = "kiosk", "kiosk-password-1"


# --- Fixtures and the kiosk ----------------------------------------------------------------------


def kiosk_account(
    username: str = KIOSK_USER,
    password: str = KIOSK_PASSWORD,
    permissions: tuple[str, ...] = messages.SIP2_PERMISSIONS,
) -> Any:
    """A staff account with ``permissions`` (default: what a kiosk needs)."""
    user = get_user_model().objects.create_user(username, password=password, is_staff=True)
    codenames = [permission.split(".")[1] for permission in permissions]
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="circulation", codename__in=codenames)
    )
    return user


def start_server(**options: Any) -> Server:
    server = Server(("127.0.0.1", 0), **{"timeout": 20, **options})
    server.block_on_close = True  # server_close() waits for the connections' threads
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
    return server


def stop_server(server: Server) -> None:
    server.shutdown()
    server.server_close()


@pytest.fixture
def sip2_server():
    server = start_server()
    yield server
    stop_server(server)


@pytest.fixture
def port(sip2_server) -> int:
    return int(sip2_server.server_address[1])


class QuietSip2(Sip2):
    """The client, without the line it prints when it is garbage-collected."""

    def __del__(self) -> None:
        with suppress(Exception):
            self.disconnect()


class Kiosk:
    """A self-check kiosk: the PyPI client, connected. ``ask("checkout", "B-1")`` sends the
    client's own request and reads the answer with the client's own parser."""

    def __init__(self, port: int, *, patron: str = "", password: str = ""):
        self.sip = QuietSip2()
        self.sip.log = logging.getLogger("sip2-test-client")  # no sip2.log in the repository
        self.sip.hostName, self.sip.hostPort = "127.0.0.1", port
        self.sip.tlsEnable = False
        self.sip.socketTimeout = 30
        self.sip.institutionId, self.sip.scLocation = "Main library", "Kiosk 1"
        self.sip.patron, self.sip.patronpwd = patron, password
        self.sip.connect()

    def ask(self, name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        request = getattr(self.sip, f"sip_{name}_request")(*args, **kwargs)
        response = self.sip.get_response(request)
        assert response.endswith("\r"), response
        parsed: dict[str, Any] = getattr(self.sip, f"sip_{name}_response")(response)
        parsed["raw"] = response
        return parsed

    def login(self, username: str = KIOSK_USER, password: str = KIOSK_PASSWORD) -> bool:
        return bool(self.ask("login", username, password)["fixed"]["Ok"] == "1")

    def close(self) -> None:
        with suppress(OSError):
            self.sip.disconnect()


@pytest.fixture
def kiosks(port):
    opened: list[Kiosk] = []

    def open_kiosk(**options: Any) -> Kiosk:
        kiosk = Kiosk(port, **options)
        opened.append(kiosk)
        return kiosk

    yield open_kiosk
    for kiosk in opened:
        kiosk.close()


def field(answer: dict[str, Any], code: str) -> str | None:
    values = answer["variable"].get(code)
    return values[0] if values else None


def fields(answer: dict[str, Any], code: str) -> list[str]:
    return list(answer["variable"].get(code, []))


def sip_due(day: datetime.date) -> str:
    return f"{day:%Y%m%d}    235959"


class Raw:
    """A kiosk that sends bytes of its own making."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.pending = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def receive(self) -> bytes:
        """The next answer, without its CR."""
        while b"\r" not in self.pending:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError(f"closed, with {self.pending!r} unanswered")
            self.pending += chunk
        answer, self.pending = self.pending.split(b"\r", 1)
        return answer

    def ask(self, text: str, *, checksum: bool = True) -> bytes:
        data = text.encode()
        if checksum:
            data += b"AZ"
            data += codec.checksum(data).encode()
        self.send(data + b"\r")
        return self.receive()

    def closed(self) -> bool:
        """Whether the server closed the connection (waits up to the socket's timeout)."""
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw(port):
    opened: list[Raw] = []

    def connect() -> Raw:
        connection = Raw(port)
        opened.append(connection)
        return connection

    yield connect
    for connection in opened:
        connection.close()


def login_text(username: str = KIOSK_USER, password: str = KIOSK_PASSWORD) -> str:
    return f"9300CN{username}|CO{password}|CPKiosk 1|AY0"


NOW = "20260101    120000"


# --- A self-check session -------------------------------------------------------------------------


@pytest.fixture
def library():
    """A kiosk account, Ada (a patron with a login and password) with a hold waiting, Cy (who
    will want Ada's copy of Emma), and the copies."""
    kiosk = kiosk_account()
    ada_login = get_user_model().objects.create_user("ada", password="ada-secret")
    ada = PatronFactory(card_number="P-ADA", name="Ada Reader", user=ada_login)
    cy = PatronFactory(card_number="P-CY", name="Cy Waiting")
    CopyFactory(barcode="B-MID", book=BookFactory(title="Middlemarch"), location="Fiction")
    emma = CopyFactory(barcode="B-EMMA", book=BookFactory(title="Emma"), location="Fiction")
    persuasion = CopyFactory(barcode="B-PERS", book=BookFactory(title="Persuasion"))
    # Ada waits for Persuasion, which someone else has.
    services.loan_checkout(card_number=PatronFactory().card_number, barcode="B-PERS")
    services.hold_place(patron=ada, book=persuasion.book)
    return {"kiosk": kiosk, "ada": ada, "cy": cy, "emma": emma}


def test_a_self_check_session_with_the_pypi_client(library, kiosks):
    today = timezone.localdate()
    due = today + datetime.timedelta(days=21)  # the Adult category's loan period
    kiosk = kiosks(patron="P-ADA", password="ada-secret")

    assert kiosk.login()
    status = kiosk.ask("sc_status")
    assert status["fixed"]["OnlineStatus"] == "Y"
    assert status["fixed"]["CheckinOk"] == "Y"
    assert status["fixed"]["CheckoutOk"] == "Y"
    assert status["fixed"]["ProtocolVersion"] == "2.00"
    assert field(status, "BX") == messages.SUPPORTED_MESSAGES
    assert field(status, "AN") == "Kiosk 1"

    info = kiosk.ask("patron_information", "none")
    assert field(info, "BL") == "Y"
    assert field(info, "CQ") == "Y"
    assert field(info, "AE") == "Ada Reader"
    assert field(info, "AO") == "Main library"
    assert info["fixed"]["PatronStatus"] == " " * 14
    assert info["fixed"]["ChargedItemsCount"] == "0000"
    assert info["fixed"]["HoldItemsCount"] == "0001"
    assert info["fixed"]["UnavailableHoldsCount"] == "0001"
    assert fields(info, "AS") == ["Persuasion"]
    assert field(info, "CB") == "0005"
    assert field(info, "BZ") == "0005"
    assert field(info, "BE") == library["ada"].email

    for barcode, title in (("B-MID", "Middlemarch"), ("B-EMMA", "Emma")):
        lent = kiosk.ask("checkout", barcode)
        assert lent["fixed"]["Ok"] == "1", lent["raw"]
        assert lent["fixed"]["Desensitize"] == "Y"
        assert field(lent, "AA") == "P-ADA"
        assert field(lent, "AB") == barcode
        assert field(lent, "AJ") == title
        assert field(lent, "AH") == sip_due(due)

    charged = kiosk.ask("patron_information", "charged")
    assert charged["fixed"]["ChargedItemsCount"] == "0002"
    assert sorted(fields(charged, "AU")) == ["B-EMMA", "B-MID"]
    assert fields(charged, "AS") == []  # only what was asked for
    held = kiosk.ask("patron_information", "hold")
    assert fields(held, "AS") == ["Persuasion"]
    assert fields(held, "AU") == []

    item = kiosk.ask("item_information", "B-MID")
    assert item["fixed"]["CirculationStatus"] == "04"  # charged
    assert field(item, "AH") == sip_due(due)
    assert field(item, "AJ") == "Middlemarch"

    loan = Loan.objects.get(copy__barcode="B-MID", checked_in_at__isnull=True)
    Loan.objects.filter(pk=loan.pk).update(due_on=today + datetime.timedelta(days=3))
    renewed = kiosk.ask("renew", "B-MID")
    assert renewed["fixed"]["Ok"] == "1", renewed["raw"]
    assert renewed["fixed"]["RenewalOk"] == "Y"
    assert field(renewed, "AH") == sip_due(due)
    assert Loan.objects.get(pk=loan.pk).renewals == 1

    # Cy asks for Emma while Ada has it: Ada's return goes to the hold shelf for Cy.
    services.hold_place(patron=library["cy"], book=library["emma"].book)
    returned = kiosk.ask("checkin", "B-EMMA")
    assert returned["fixed"]["Ok"] == "1", returned["raw"]
    assert returned["fixed"]["Alert"] == "Y"
    assert field(returned, "CV") == "01"
    assert field(returned, "CY") == "P-CY"
    assert field(returned, "AQ") == "Fiction"
    message = field(returned, "AF")
    assert "hold shelf" in message
    assert "Cy Waiting" in message
    hold = Hold.objects.get(patron=library["cy"])
    assert hold.status == HoldStatus.READY
    assert hold.copy_id == library["emma"].pk
    library["emma"].refresh_from_db()
    assert library["emma"].status == CopyStatus.ON_HOLD_SHELF
    shelved = kiosk.ask("item_information", "B-EMMA")
    assert shelved["fixed"]["CirculationStatus"] == "08"  # waiting on the hold shelf
    assert hold.pickup_by is not None
    assert field(shelved, "CM") == sip_due(hold.pickup_by)

    ended = kiosk.ask("end_patron_session")
    assert ended["fixed"]["EndSession"] == "Y"
    assert field(ended, "AA") == "P-ADA"

    # The desk's events, with the kiosk's account as the actor.
    kinds = list(
        CirculationEvent.objects.filter(actor=library["kiosk"])
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == [
        EventKind.CHECKOUT,
        EventKind.CHECKOUT,
        EventKind.RENEW,
        EventKind.CHECKIN,
        EventKind.HOLD_READY,
    ]
    assert status_disagreements() == []


def test_renew_all_and_patron_status(library, kiosks):
    kiosk = kiosks(patron="P-ADA", password="ada-secret")
    assert kiosk.login()
    for barcode in ("B-MID", "B-EMMA"):
        assert kiosk.ask("checkout", barcode)["fixed"]["Ok"] == "1"
    services.hold_place(patron=library["cy"], book=library["emma"].book)

    renewed = kiosk.ask("renew_all")
    assert renewed["fixed"]["Ok"] == "1"
    assert renewed["fixed"]["RenewedItems"] == "0001"
    assert renewed["fixed"]["UnrenewedItems"] == "0001"
    assert fields(renewed, "BM") == ["B-MID"]
    assert fields(renewed, "BN") == ["B-EMMA"]
    assert "Another patron is waiting for this book" in field(renewed, "AF")

    status = kiosk.ask("patron_status")
    assert status["fixed"]["PatronStatus"] == " " * 14
    assert field(status, "AE") == "Ada Reader"
    assert (field(status, "BL"), field(status, "CQ")) == ("Y", "Y")


def test_a_checkout_sent_again_is_answered_not_lent_twice(library, kiosks):
    kiosk = kiosks(patron="P-ADA", password="ada-secret")
    assert kiosk.login()
    first = kiosk.ask("checkout", "B-MID")
    again = kiosk.ask("checkout", "B-MID")
    assert first["fixed"]["Ok"] == again["fixed"]["Ok"] == "1"
    assert field(again, "AH") == field(first, "AH")
    assert "already" in field(again, "AF")
    assert Loan.objects.filter(copy__barcode="B-MID").count() == 1
    assert (
        CirculationEvent.objects.filter(kind=EventKind.CHECKOUT, copy__barcode="B-MID").count() == 1
    )


def test_refusals_are_the_desks_as_screen_messages(library, kiosks):
    ada = library["ada"]
    services.patron_update(patron=ada, blocked=True, block_reason="Lost three books")
    kiosk = kiosks(patron="P-ADA", password="ada-secret")
    assert kiosk.login()

    refused = kiosk.ask("checkout", "B-MID")
    assert refused["fixed"]["Ok"] == "0"
    assert refused["fixed"]["Desensitize"] == "N"
    assert field(refused, "AF") == "Ada Reader's card is blocked: Lost three books"
    assert not Loan.objects.filter(copy__barcode="B-MID").exists()

    info = kiosk.ask("patron_information", "none")
    assert info["fixed"]["PatronStatus"][:4] == "YY Y"
    assert "blocked" in field(info, "AF")

    # Another patron's copy, and a copy not for loan: the service's own words.
    other = kiosks(patron="P-CY")
    assert other.login()
    on_loan = other.ask("checkout", "B-PERS")
    assert on_loan["fixed"]["Ok"] == "0"
    assert field(on_loan, "AF") == "Copy B-PERS is on loan to another patron."


def test_unknown_patrons_and_copies(library, kiosks):
    kiosk = kiosks(patron="P-NOBODY", password="x")
    assert kiosk.login()

    info = kiosk.ask("patron_information", "none")
    assert field(info, "BL") == "N"
    assert field(info, "AF") == "No patron has card number P-NOBODY."
    status = kiosk.ask("patron_status")
    assert field(status, "BL") == "N"

    refused = kiosk.ask("checkout", "B-MID")
    assert refused["fixed"]["Ok"] == "0"
    assert field(refused, "AF") == "No patron has card number P-NOBODY."

    known = kiosks(patron="P-CY")
    assert known.login()
    for name in ("checkout", "checkin", "renew", "item_information"):
        answer = known.ask(name, "B-NOWHERE")
        assert field(answer, "AF") == "No copy has barcode B-NOWHERE.", (name, answer["raw"])
        if name != "item_information":
            assert answer["fixed"]["Ok"] == "0"
    assert not CirculationEvent.objects.filter(actor=library["kiosk"]).exists()


def test_patron_passwords(library, kiosks, settings):
    wrong = kiosks(patron="P-ADA", password="not-it")
    assert wrong.login()
    info = wrong.ask("patron_information", "charged")
    assert (field(info, "BL"), field(info, "CQ")) == ("Y", "N")
    assert field(info, "AE") == ""  # nothing about the patron without their password
    refused = wrong.ask("checkout", "B-MID")
    assert refused["fixed"]["Ok"] == "0"
    assert "password" in field(refused, "AF")

    none_sent = kiosks(patron="P-ADA")
    assert none_sent.login()
    assert none_sent.ask("checkout", "B-MID")["fixed"]["Ok"] == "0"
    assert not Loan.objects.filter(copy__barcode="B-MID").exists()

    # A patron without a login has no password: the card is enough, but it shows no contact
    # details.
    card_only = kiosks(patron="P-CY")
    assert card_only.login()
    info = card_only.ask("patron_information", "none")
    assert (field(info, "CQ"), field(info, "AE")) == ("Y", "Cy Waiting")
    assert field(info, "BE") is None
    assert card_only.ask("checkout", "B-PERS")["fixed"]["Ok"] == "0"  # lent to someone else

    # A library whose kiosks send no password turns the check off; one that is sent is
    # still checked.
    settings.SIP2_PATRON_PASSWORD_REQUIRED = False
    assert none_sent.ask("checkout", "B-MID")["fixed"]["Ok"] == "1"
    assert wrong.ask("checkout", "B-EMMA")["fixed"]["Ok"] == "0"


def test_login_needs_the_sip2_permission_and_the_desks(kiosks, monkeypatch):
    monkeypatch.setattr(messages, "FAILED_LOGIN_PAUSE", 0)
    kiosk_account()
    kiosk_account("librarian", permissions=("circulation.add_loan", "circulation.change_loan"))
    kiosk_account("sip-only", permissions=("circulation.use_sip2",))
    kiosk = kiosks()
    assert not kiosk.login(KIOSK_USER, "wrong password")
    assert not kiosk.login("librarian")
    assert kiosk.login()  # the third try: the count starts again after a login
    assert not kiosk.login("sip-only")
    assert not kiosk.login("nobody")
    assert kiosk.login()


def test_nothing_but_login_and_status_before_a_login(library, raw):
    kiosk = raw()
    refused = kiosk.ask(f"11NN{NOW}{' ' * 18}AOMain|AAP-CY|ABB-MID|AC|AY1")
    assert refused.startswith(b"120NUN")
    assert b"AFLog in first" in refused
    status = kiosk.ask("9900802.00AY2")
    assert status.startswith(b"98NNNN")
    assert not Loan.objects.filter(copy__barcode="B-MID").exists()


def test_three_failed_logins_close_the_connection(raw, monkeypatch):
    monkeypatch.setattr(messages, "FAILED_LOGIN_PAUSE", 0)
    kiosk = raw()
    for _ in range(3):
        assert kiosk.ask(login_text(password="guess")).startswith(b"940")
    assert kiosk.closed()


def test_failed_logins_count_with_the_sites_sign_in_throttle(raw, monkeypatch, settings):
    monkeypatch.setattr(messages, "FAILED_LOGIN_PAUSE", 0)
    settings.AXES_FAILURE_LIMIT = 2
    kiosk_account()
    first = raw()
    for _ in range(2):
        assert first.ask(login_text(password="guess")).startswith(b"940")
    # Locked: the right password is refused too, on a new connection as well.
    assert first.ask(login_text()).startswith(b"940")
    assert raw().ask(login_text()).startswith(b"940")


def test_malformed_messages_and_wrong_checksums(library, raw):
    kiosk = raw()
    # A wrong checksum: 96, send it again; sent right, it is answered.
    good = login_text().encode() + b"AZ"
    good += codec.checksum(good).encode()
    broken = good[:-4] + (b"0000" if not good.endswith(b"0000") else b"0001")
    kiosk.send(broken + b"\r")
    assert kiosk.receive().startswith(b"96")
    kiosk.send(good + b"\r")
    assert kiosk.receive().startswith(b"941AY0AZ")

    for garbage in (
        b"XX hello",
        b"\x00\xff\xfe",
        b"11NN2026",  # a checkout cut short
        b"09N" + b"2" * 36 + b"AOx|a|",  # a broken field
        b"GET / HTTP/1.1",
        b"9" * 6000,  # longer than any message
    ):
        kiosk.send(garbage + b"\r\n")
        assert kiosk.receive().startswith(b"96"), garbage
    # A known message without what it needs: its own answer, saying what is missing.
    missing = kiosk.ask(f"11NN{NOW}{' ' * 18}AOMain|AAP-CY|AY3")
    assert missing.startswith(b"120")
    assert b"No item identifier (AB)" in missing
    # Still the same connection, still logged in.
    item = kiosk.ask(f"17{NOW}AOMain|ABB-MID|AY4")
    assert item.startswith(b"1803")
    assert b"AJMiddlemarch|" in item
    # 97: the last answer again.
    assert kiosk.ask("97", checksum=False) == item


def test_messages_without_checksums_or_sequence_numbers(library, raw):
    kiosk = raw()
    answer = kiosk.ask(login_text().removesuffix("AY0"), checksum=False)
    assert answer == b"941"
    answer = kiosk.ask(f"17{NOW}AOMain|ABB-MID|AY5", checksum=False)
    assert answer.endswith(b"AY5")
    assert b"AZ" not in answer[-8:]


def test_a_dropped_connection_leaves_no_half_done_checkout(library, raw, kiosks):
    checkout = f"11NN{NOW}{' ' * 18}AOMain|AAP-CY|ABB-MID|AC|AY1"
    # Cut off in the middle of the message: nothing happens.
    kiosk = raw()
    assert kiosk.ask(login_text()).startswith(b"941")
    kiosk.send(checkout[:20].encode())
    kiosk.close()
    # Gone before the answer: the checkout is done whole (loan, copy, event), once.
    kiosk = raw()
    assert kiosk.ask(login_text()).startswith(b"941")
    data = checkout.encode() + b"AZ"
    kiosk.send(data + codec.checksum(data).encode() + b"\r")
    kiosk.sock.shutdown(socket.SHUT_RDWR)
    kiosk.close()
    deadline = time.monotonic() + 10
    while not Loan.objects.filter(copy__barcode="B-MID").exists():
        assert time.monotonic() < deadline, "the checkout never happened"
        time.sleep(0.05)
    loan = Loan.objects.get(copy__barcode="B-MID")
    assert loan.patron.card_number == "P-CY"
    assert CirculationEvent.objects.filter(loan=loan, kind=EventKind.CHECKOUT).count() == 1
    assert status_disagreements() == []
    # The server still serves.
    after = kiosks(patron="P-CY")
    assert after.login()
    assert after.ask("checkin", "B-MID")["fixed"]["Ok"] == "1"


def test_an_idle_connection_is_closed():
    server = start_server(timeout=0.3)
    try:
        kiosk = Raw(int(server.server_address[1]))
        started = time.monotonic()
        assert kiosk.closed()
        assert time.monotonic() - started < 5
        kiosk.close()
    finally:
        stop_server(server)


def test_connections_beyond_the_limit_are_closed():
    server = start_server(connections_allowed=1)
    try:
        first = Raw(int(server.server_address[1]))
        assert first.ask("9900802.00", checksum=False).startswith(b"98N")
        second = Raw(int(server.server_address[1]))
        assert second.closed()
        second.close()
        first.close()
    finally:
        stop_server(server)


def test_tls(library, tmp_path):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("No openssl to make a certificate.")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603 - our own arguments
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    server = start_server(ssl_context=tls_context(str(cert), str(key)))
    try:
        client = ssl.create_default_context(cafile=str(cert))
        client.check_hostname = False
        with (
            socket.create_connection(("127.0.0.1", int(server.server_address[1])), 10) as plain,
            client.wrap_socket(plain) as sock,
        ):
            sock.sendall(login_text().encode() + b"\r")
            assert sock.recv(4096) == b"941AY0\r"
        # A client speaking plain text to the TLS port gets no answer, and is closed.
        with socket.create_connection(("127.0.0.1", int(server.server_address[1])), 10) as plain:
            plain.sendall(login_text().encode() + b"\r")
            with suppress(ConnectionResetError):
                assert b"941" not in plain.recv(4096)
    finally:
        stop_server(server)


def test_a_failing_answer_says_so_and_the_connection_goes_on(library, raw, monkeypatch):
    def broken(session, request):
        raise RuntimeError("the database went away")

    monkeypatch.setitem(messages.HANDLERS, "17", broken)
    kiosk = raw()
    assert kiosk.ask(login_text()).startswith(b"941")
    failed = kiosk.ask(f"17{NOW}AOMain|ABB-MID|AY1")
    assert failed.startswith(b"18")
    assert b"AFSomething went wrong. Try again, or ask at the desk.|" in failed
    assert kiosk.ask("9900802.00AY2").startswith(b"98YYYY")


def test_a_kiosk_account_losing_its_permission_is_logged_out(library, raw, monkeypatch):
    monkeypatch.setattr(messages, "RECHECK_SECONDS", 0)
    kiosk = raw()
    assert kiosk.ask(login_text()).startswith(b"941")
    assert kiosk.ask(f"17{NOW}AOMain|ABB-MID|AY1").startswith(b"1803")
    library["kiosk"].user_permissions.remove(
        Permission.objects.get(content_type__app_label="circulation", codename="use_sip2")
    )
    refused = kiosk.ask(f"17{NOW}AOMain|ABB-MID|AY2")
    assert b"AFLog in first" in refused


def test_checkin_of_copies_not_on_loan(library, kiosks):
    kiosk = kiosks()
    assert kiosk.login()
    shelf = kiosk.ask("checkin", "B-MID")  # on the shelf already: nothing to do, no error
    assert (shelf["fixed"]["Ok"], shelf["fixed"]["Alert"]) == ("1", "N")
    assert field(shelf, "AF") == "Copy B-MID was not on loan. Back to the shelf."
    damaged = CopyFactory(barcode="B-DAMAGED", status=CopyStatus.DAMAGED)
    refused = kiosk.ask("checkin", damaged.barcode)
    assert refused["fixed"]["Ok"] == "0"
    assert "damaged" in field(refused, "AF")
    # Its item information says where it stands.
    item = kiosk.ask("item_information", damaged.barcode)
    assert item["fixed"]["CirculationStatus"] == messages.OTHER_STATUS


def test_the_command_serves_and_stops_on_sigterm():
    command = subprocess.Popen(
        [sys.executable, "manage.py", "sip2_server", "--port", "0"],
        cwd=settings.BASE_DIR,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DEBUG": "true"},
    )
    try:
        assert command.stderr is not None
        started = command.stderr.readline()
        found = re.search(r"SIP2 server on 127\.0\.0\.1:(\d+),", started)
        assert found, started
        kiosk = Raw(int(found.group(1)))
        assert kiosk.ask("9900802.00", checksum=False).startswith(b"98N")
        kiosk.close()
        command.send_signal(signal.SIGTERM)
        assert command.wait(timeout=10) == 0
        assert "SIP2 server stopped." in command.stderr.read()
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()


def test_the_command_refuses_a_key_without_a_certificate():
    with pytest.raises(CommandError, match="--keyfile needs --certfile"):
        call_command("sip2_server", "--keyfile", "key.pem")
