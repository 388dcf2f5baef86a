"""The operations tests' own parts that run without Docker: the slow SMTP server they count
notices with (bench/smtp_sink.py), and reading which web replica served a request from compose's
log (bench/stack.py). The stack tests themselves are scripts/stack-test, never run by pytest."""

from __future__ import annotations

import json
import os
import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from bench.stack import Stack, import_run_id

SINK = Path(__file__).resolve().parent.parent / "smtp_sink.py"


@pytest.fixture
def sink(tmp_path: Path):
    """The sink on a free port (it listens on 1025; a copy of the script binds elsewhere)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = tmp_path / "sink.py"
    script.write_text(SINK.read_text().replace('"0.0.0.0", 1025', f'"127.0.0.1", {port}'))
    mail = tmp_path / "mail.jsonl"
    environment = {**os.environ, "SINK_DELAY": "0.3", "SINK_FILE": str(mail)}
    process = subprocess.Popen([sys.executable, str(script)], env=environment)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port, mail
    finally:
        process.terminate()
        process.wait(5)


def _message(number: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "library@example.org"
    message["To"] = f"patron{number}@example.org"
    message["Subject"] = f"Notice {number}"
    message["Message-ID"] = f"<notice-{number}.1@example.org>"
    message.set_content("..\nA line that starts with a dot.\n")
    return message


def test_the_sink_keeps_each_message_it_accepts(sink) -> None:
    port, mail = sink
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(_message(1))
        smtp.send_message(_message(2))
    kept = [json.loads(line) for line in mail.read_text().splitlines()]
    assert kept == [
        {
            "Message-ID": "<notice-1.1@example.org>",
            "To": "patron1@example.org",
            "Subject": "Notice 1",
        },
        {
            "Message-ID": "<notice-2.1@example.org>",
            "To": "patron2@example.org",
            "Subject": "Notice 2",
        },
    ]


def test_a_message_whose_client_went_away_before_it_was_accepted_is_not_kept(sink) -> None:
    port, mail = sink
    with socket.create_connection(("127.0.0.1", port), 5) as client:
        reader = client.makefile("rb")
        reader.readline()  # 220
        for line in (b"HELO test", b"MAIL FROM:<a@example.org>", b"RCPT TO:<b@example.org>"):
            client.sendall(line + b"\r\n")
            assert reader.readline().startswith(b"250")
        client.sendall(b"DATA\r\n")
        assert reader.readline().startswith(b"354")
        client.sendall(b"Subject: gone\r\n\r\nbody\r\n.\r\n")
        reader.close()  # the socket closes only when its file is closed too
    # The connection closed during the server's delay: nothing accepted.
    time.sleep(0.6)
    assert not mail.exists() or mail.read_text() == ""


def test_which_replica_served_a_request_is_read_from_its_log_line(monkeypatch) -> None:
    stack = Stack("shelfmark-test", {})
    logs = "\n".join(
        [
            'web-2  | {"request_id": "ops-1", "status": 200, "path": "/"}',
            'web-1  | {"request_id": "ops-2", "status": 302, "path": "/account/sign-in/"}',
            'web-1  | {"request_id": "ops-3", "message": "a line without a status"}',
            "web-3  | [shelfmark] plain text",
            "shelfmark-test-web-3  | " + json.dumps({"request_id": "ops-4", "status": 200}),
        ]
    )
    monkeypatch.setattr(stack, "logs", lambda service: logs)
    try:
        assert stack.served_by(["ops-1", "ops-2", "ops-3", "ops-4", "ops-5"]) == {
            "ops-1": "web-2",
            "ops-2": "web-1",
            "ops-4": "web-3",
        }
    finally:
        stack.empty_env.unlink(missing_ok=True)


def test_the_run_an_import_form_redirected_to() -> None:
    moved = httpx.Response(302, headers={"location": "/staff/imports/41/"})
    assert import_run_id(moved) == 41
    for answer in (
        httpx.Response(302, headers={"location": "/account/sign-in/?next=/staff/imports/new/"}),
        httpx.Response(400, text="the form's errors"),
    ):
        with pytest.raises(AssertionError):
            import_run_id(answer)
