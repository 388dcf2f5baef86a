"""SIP2 messages as text: reading a request and writing a response (3M's Standard Interchange
Protocol 2.00).

A message is a two-digit command code, fixed-length fields in an order the code decides, then
variable fields (a two-letter field code, the value, ``|``), and at the end, when the kiosk has
error detection on, a sequence number (``AY`` and one digit) and a checksum (``AZ`` and four hex
digits: the 16-bit two's complement of the sum of every byte before them, ``AZ`` included).

No package on PyPI fits a server: the ``sip2`` client (which the tests use) only writes
requests and reads responses, and others are clients too. So this module is our own, small and
pure (no Django), and tested on its own (protocols/tests/test_sip2_codec.py).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

# The fixed fields of each request the server reads: (name, length), in their order.
REQUEST_LAYOUTS: dict[str, tuple[tuple[str, int], ...]] = {
    "09": (("no_block", 1), ("transaction_date", 18), ("return_date", 18)),
    "11": (
        ("sc_renewal_policy", 1),
        ("no_block", 1),
        ("transaction_date", 18),
        ("nb_due_date", 18),
    ),
    "17": (("transaction_date", 18),),
    "23": (("language", 3), ("transaction_date", 18)),
    "29": (
        ("third_party_allowed", 1),
        ("no_block", 1),
        ("transaction_date", 18),
        ("nb_due_date", 18),
    ),
    "35": (("transaction_date", 18),),
    "63": (("language", 3), ("transaction_date", 18), ("summary", 10)),
    "65": (("transaction_date", 18),),
    "93": (("uid_algorithm", 1), ("pwd_algorithm", 1)),
    "97": (),
    "99": (("status_code", 1), ("max_print_width", 3), ("protocol_version", 4)),
}

# The longest message read: a request is a few hundred bytes; more is not a kiosk talking.
MAX_MESSAGE_BYTES = 4096
MAX_FIELD_CHARS = 255  # the spec's limit for a variable field's value

_FIELD_CODE = re.compile(r"[A-Z]{2}")
_CHECKSUM = re.compile(rb"AZ([0-9A-Fa-f]{1,4})$")
_SEQUENCE = re.compile(r"(?:^|(?<=\|))AY([0-9])\|?$")
_DATE = re.compile(r"\d{8}.{4}\d{6}")


class MalformedMessage(ValueError):
    """A message that cannot be read (an unknown command, a short fixed part, a broken field);
    the text says what, for the log."""


class ChecksumMismatch(ValueError):
    """A message whose checksum does not match its bytes: the kiosk should send it again."""


@dataclass(frozen=True)
class Request:
    """A request as the kiosk sent it."""

    code: str
    fixed: dict[str, str]
    fields: tuple[tuple[str, str], ...] = ()
    sequence: str | None = None  # AY's digit, when sent
    checksummed: bool = False  # whether it carried AZ: the answer then carries one too

    def get(self, code: str, default: str = "") -> str:
        """The first value of field ``code`` (``default`` when absent)."""
        return next((value for name, value in self.fields if name == code), default)

    def has(self, code: str) -> bool:
        return any(name == code for name, _value in self.fields)


@dataclass
class Response:
    """An answer: the command code, the fixed part (already laid out) and the variable fields,
    in the order the spec lists them."""

    code: str
    fixed: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)

    def add(self, code: str, value: object) -> Response:
        self.fields.append((code, str(value)))
        return self

    def add_if(self, code: str, value: object) -> Response:
        """The field only when it has a value (optional fields are left out, not empty)."""
        if value not in (None, ""):
            self.add(code, value)
        return self


def checksum(data: bytes) -> str:
    """The spec's checksum of ``data`` (everything up to and including ``AZ``): four uppercase
    hex digits."""
    return f"{-sum(data) & 0xFFFF:04X}"


def _decode(data: bytes) -> str:
    # Kiosks speak ASCII, some UTF-8, older ones Latin-1: whatever decodes.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def parse(data: bytes) -> Request:
    """The request in ``data`` (one message, without its terminator). ChecksumMismatch when its
    checksum is wrong, MalformedMessage when it cannot be read."""
    data = data.strip(b"\r\n")
    if len(data) > MAX_MESSAGE_BYTES:
        raise MalformedMessage(f"longer than {MAX_MESSAGE_BYTES} bytes")
    checksummed = False
    found = _CHECKSUM.search(data)
    if found:
        body = data[: found.start() + 2]
        # Compared as numbers: the PyPI client writes the checksum without its leading zeros.
        if int(found.group(1), 16) != (-sum(body) & 0xFFFF):
            raise ChecksumMismatch(f"checksum {found.group(1)!r}, expected {checksum(body)}")
        data, checksummed = data[: found.start()], True
    text = _decode(data)
    code = text[:2]
    layout = REQUEST_LAYOUTS.get(code)
    if layout is None:
        raise MalformedMessage(f"unknown command {code!r}")
    fixed, rest = _fixed(code, layout, text[2:])
    # The sequence number follows the fixed part or a field's "|": a field whose value ends in
    # "AY1" is no sequence number.
    sequence = None
    found_sequence = _SEQUENCE.search(rest)
    if found_sequence:
        sequence = found_sequence.group(1)
        rest = rest[: found_sequence.start()]
    return Request(code, fixed, _variable(rest), sequence, checksummed)


def _fixed(code: str, layout: tuple[tuple[str, int], ...], text: str) -> tuple[dict[str, str], str]:
    size = sum(length for _name, length in layout)
    # The PyPI client sends its Renew All (65) without the transaction date: a message whose
    # only fixed field is that date and which starts with a field is read without it.
    only_date = len(layout) == 1 and layout[0][0] == "transaction_date"
    if only_date and _FIELD_CODE.match(text[:2]) and not _DATE.match(text[:18]):
        return {"transaction_date": ""}, text
    if len(text) < size:
        raise MalformedMessage(f"{code}: a fixed part of {len(text)} characters, not {size}")
    values, start = {}, 0
    for name, length in layout:
        values[name] = text[start : start + length]
        start += length
    return values, text[size:]


def _variable(text: str) -> tuple[tuple[str, str], ...]:
    fields = []
    for part in text.split("|"):
        if not part:
            continue
        if not _FIELD_CODE.fullmatch(part[:2]):
            raise MalformedMessage(f"a field without a field code: {part[:20]!r}")
        fields.append((part[:2], part[2:]))
    return tuple(fields)


def _clean(value: str) -> str:
    """A value as a field can carry it: no field separator, no line ends, at most 255
    characters."""
    value = value.replace("|", "/").replace("\r", " ").replace("\n", " ")
    return value[:MAX_FIELD_CHARS]


def encode(response: Response, *, sequence: str | None = None, checksummed: bool = False) -> bytes:
    """``response`` as bytes, with the terminator (CR); with the sequence number and a checksum
    when the request had them."""
    text = response.code + response.fixed
    text += "".join(f"{code}{_clean(value)}|" for code, value in response.fields)
    data = text.encode("utf-8")
    if sequence is not None:
        data += b"AY" + sequence.encode("ascii")
    if checksummed:
        data += b"AZ"
        data += checksum(data).encode("ascii")
    return data + b"\r"


def sip_datetime(moment: datetime.datetime) -> str:
    """A date and time as SIP2 writes them, YYYYMMDDZZZZHHMMSS, in local time (ZZZZ blank)."""
    return moment.strftime("%Y%m%d    %H%M%S")


def sip_date(day: datetime.date) -> str:
    """A due date as a SIP2 date: the end of that day, so kiosks that read the time show no
    earlier deadline than the library's."""
    return f"{day:%Y%m%d}    235959"


def flag(value: bool) -> str:
    return "Y" if value else "N"


def count(value: int, width: int = 4) -> str:
    """A count in a fixed field: zero-padded, and never wider than the field."""
    return str(min(value, 10**width - 1)).zfill(width)
