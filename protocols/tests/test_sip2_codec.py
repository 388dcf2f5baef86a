"""The SIP2 codec on its own: checksums, reading every request the server answers (as the PyPI
``sip2`` client writes them, and as the spec's examples do), refusing what cannot be read, and
writing answers."""

from __future__ import annotations

import datetime
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st
from Sip2.sip2 import Sip2

from protocols.sip2 import codec
from protocols.sip2.codec import ChecksumMismatch, MalformedMessage, Response


def with_checksum(text: str) -> bytes:
    data = text.encode() + b"AZ"
    return data + codec.checksum(data).encode()


def test_checksum_matches_the_examples_of_the_client_and_the_spec():
    # From the PyPI client's comments, checked against a 3M server.
    message = (
        b"09N20160419    12200820160419    122008APReading Room 1|AO830|AB830$28170815|AC|AY2AZ"
    )
    assert codec.checksum(message) == "EB80"


@given(st.binary(max_size=200))
def test_a_message_and_its_checksum_add_up_to_zero(data):
    assert (sum(data) + int(codec.checksum(data), 16)) & 0xFFFF == 0
    assert len(codec.checksum(data)) == 4


def client() -> Sip2:
    sip = Sip2()
    sip.log = logging.getLogger("sip2-test-client")  # no log file in the working directory
    sip.institutionId = "Shelfmark"
    sip.scLocation = "Kiosk 1"
    sip.patron = "P-0001"
    sip.patronpwd = "secret"
    return sip


def read(text: str) -> codec.Request:
    return codec.parse(text.rstrip("\r").encode())


def test_reads_the_pypi_clients_requests():
    sip = client()
    login = read(sip.sip_login_request("kiosk", "pass"))
    assert login.code == "93"
    assert login.fixed == {"uid_algorithm": "0", "pwd_algorithm": "0"}
    assert (login.get("CN"), login.get("CO"), login.get("CP")) == ("kiosk", "pass", "Kiosk 1")
    assert login.sequence == "0"
    assert login.checksummed

    status = read(sip.sip_sc_status_request())
    assert status.fixed == {
        "status_code": "0",
        "max_print_width": "080",
        "protocol_version": "2.00",
    }

    info = read(sip.sip_patron_information_request("charged", "1", "10"))
    assert info.fixed["summary"] == "  Y       "
    assert (info.get("AA"), info.get("AD"), info.get("BP"), info.get("BQ")) == (
        "P-0001",
        "secret",
        "1",
        "10",
    )

    checkout = read(sip.sip_checkout_request("B-0001"))
    assert checkout.code == "11"
    assert checkout.fixed["sc_renewal_policy"] == "N"
    assert checkout.fixed["nb_due_date"] == " " * 18
    assert (checkout.get("AA"), checkout.get("AB")) == ("P-0001", "B-0001")

    checkin = read(sip.sip_checkin_request("B-0001"))
    assert (checkin.code, checkin.get("AB"), checkin.get("AP")) == ("09", "B-0001", "Kiosk 1")

    assert read(sip.sip_renew_request("B-0001")).get("AB") == "B-0001"
    assert read(sip.sip_item_information_request("B-0001")).get("AB") == "B-0001"
    assert read(sip.sip_patron_status_request()).fixed["language"] == "000"
    assert read(sip.sip_end_patron_session_request()).get("AA") == "P-0001"


def test_reads_a_renew_all_without_its_transaction_date():
    # The PyPI client leaves the date out of 65; the spec's layout has it. Both are read.
    sip = client()
    renew_all = read(sip.sip_renew_all_request())
    assert renew_all.fixed == {"transaction_date": ""}
    assert renew_all.get("AA") == "P-0001"
    spec = codec.parse(b"6520240102    101010AOShelfmark|AAP-0001|ADsecret|")
    assert spec.fixed == {"transaction_date": "20240102    101010"}
    assert spec.get("AD") == "secret"


def test_the_client_writes_checksums_without_leading_zeros_and_they_are_read():
    # Below 0x1000 the client writes three digits (format(..., "X")): a long enough message.
    for size in range(1000):
        data = b"9900802.00AO" + b"z" * size + b"|AY1AZ"
        value = -sum(data) & 0xFFFF
        if value < 0x1000:
            assert codec.parse(data + f"{value:X}".encode()).checksummed
            with pytest.raises(ChecksumMismatch):
                codec.parse(data + f"{value + 1:X}".encode())
            return
    pytest.fail("no message with a short checksum")


def test_sequence_and_checksum_are_optional():
    plain = codec.parse(b"9900802.00")
    assert plain.sequence is None
    assert not plain.checksummed
    sequenced = codec.parse(b"9900802.00AY7")
    assert sequenced.sequence == "7"
    assert not sequenced.checksummed


def test_a_wrong_checksum_is_refused():
    good = with_checksum("9900802.00AY1")
    assert codec.parse(good).checksummed
    bad = good[:-4] + (b"0000" if good[-4:] != b"0000" else b"0001")
    with pytest.raises(ChecksumMismatch):
        codec.parse(bad)
    # A changed byte, the checksum left as it was.
    with pytest.raises(ChecksumMismatch):
        codec.parse(b"9910802.00AY1" + good[-6:])


@pytest.mark.parametrize(
    "message",
    [
        b"",
        b"X",
        b"XX123",  # unknown command
        b"00",  # unknown command
        b"11NN20240102",  # fixed part too short
        b"6320240102    101010",  # too short
        b"09N20240102    10101020240102    101010AOx|a|",  # a field without a code
        b"09N20240102    10101020240102    101010AOx|ab1|",  # a lower-case code
        b"93" + b"0" * 5000,  # too long
    ],
)
def test_unreadable_messages_are_refused(message):
    with pytest.raises(MalformedMessage):
        codec.parse(message)


def test_line_ends_and_empty_fields_are_tolerated():
    request = codec.parse(b"9300CNkiosk||COpass|\r\n")
    assert (request.get("CN"), request.get("CO")) == ("kiosk", "pass")
    assert request.get("CP") == ""
    assert not request.has("CP")


def test_non_utf8_text_is_read_as_latin1():
    request = codec.parse(b"9300CNkiosk|COp\xe4ss|")
    assert request.get("CO") == "päss"


def test_encode_adds_sequence_and_checksum_when_asked():
    response = Response("94", "1")
    assert codec.encode(response) == b"941\r"
    data = codec.encode(response, sequence="3", checksummed=True)
    assert data.startswith(b"941AY3AZ")
    assert data.endswith(b"\r")
    body = data[:-5]
    assert codec.checksum(body) == data[-5:-1].decode()


def test_encode_keeps_field_values_inside_their_fields():
    response = Response("10", "1YUN").add("AF", "a|b\r\nc").add("AJ", "x" * 300)
    data = codec.encode(response)
    assert data == b"101YUNAFa/b  c|AJ" + b"x" * 255 + b"|\r"
    assert data.count(b"\r") == 1


def test_add_if_leaves_out_empty_values():
    response = Response("18").add_if("AQ", "").add_if("AP", None).add_if("CH", "823")
    assert response.fields == [("CH", "823")]


def test_dates_and_counts():
    moment = datetime.datetime(2026, 3, 4, 5, 6, 7)
    assert codec.sip_datetime(moment) == "20260304    050607"
    assert codec.sip_date(datetime.date(2026, 3, 4)) == "20260304    235959"
    assert codec.count(7) == "0007"
    assert codec.count(123456) == "9999"
    assert codec.flag(True) == "Y"
    assert codec.flag(False) == "N"


@given(
    st.sampled_from(sorted(set(codec.REQUEST_LAYOUTS) - {"97"})),
    st.lists(
        st.tuples(
            # AY and AZ end a message: the sequence number and the checksum.
            st.from_regex(r"[A-Z]{2}", fullmatch=True).filter(lambda c: c not in ("AY", "AZ")),
            st.text(
                alphabet=st.characters(blacklist_characters="|\r\n", blacklist_categories=["Cs"]),
                max_size=40,
            ),
        ),
        max_size=6,
    ),
    st.none() | st.sampled_from("0123456789"),
    st.booleans(),
)
def test_what_encode_writes_parse_reads_back(code, fields, sequence, checksummed):
    fixed = "".join("2" * length for _name, length in codec.REQUEST_LAYOUTS[code])
    response = Response(code, fixed)
    for name, value in fields:
        response.add(name, value)
    data = codec.encode(response, sequence=sequence, checksummed=checksummed)
    request = codec.parse(data)
    assert request.code == code
    assert request.sequence == sequence
    assert request.checksummed == checksummed
    assert list(request.fields) == fields


def test_a_value_ending_like_a_sequence_number_is_a_value():
    request = codec.parse(b"9300CNkiosk|COpass|CPBAY1|")
    assert request.sequence is None
    assert request.get("CP") == "BAY1"
    sequenced = codec.parse(b"9300CNkiosk|COpass|CPBAY1|AY2")
    assert (sequenced.sequence, sequenced.get("CP")) == ("2", "BAY1")
