"""A slow SMTP server that keeps what it accepts, for bench.faults: each message takes
``SINK_DELAY`` seconds before it is accepted (a busy mail server), so a notice run is still
sending when the worker is killed, and each accepted message is one JSON line (Message-ID, To,
Subject) in ``SINK_FILE``. A message whose client went away before the end of that delay is not
accepted, as a real server would not have taken it.

Standard library only (Python 3.13 has no smtpd): it runs in the stand-in's python image, in the
compose override bench.faults writes. ``python smtp_sink.py`` listens on 0.0.0.0:1025.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os

DELAY = float(os.environ.get("SINK_DELAY", "1"))
FILE = os.environ.get("SINK_FILE", "/tmp/mail.jsonl")  # noqa: S108  (the sink's own container)


async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    async def reply(line: str) -> None:
        writer.write(line.encode() + b"\r\n")
        await writer.drain()

    await reply("220 sink ESMTP")
    try:
        while line := await reader.readline():
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                await reply("250-sink")
                await reply("250 8BITMIME")
            elif verb in {"HELO", "MAIL", "RCPT", "RSET", "NOOP"}:
                await reply("250 OK")
            elif verb == "DATA":
                await reply("354 End data with <CR><LF>.<CR><LF>")
                data = []
                while (chunk := await reader.readline()) not in {b".\r\n", b".\n", b""}:
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                await asyncio.sleep(DELAY)
                try:  # a client that is gone has closed its end meanwhile: nothing accepted
                    if await asyncio.wait_for(reader.read(1), timeout=0.05) == b"":
                        return
                except TimeoutError:
                    pass  # still there, waiting for the answer
                message = email.message_from_bytes(b"".join(data), policy=email.policy.default)
                record = {
                    name: str(message[name] or "") for name in ("Message-ID", "To", "Subject")
                }
                with open(FILE, "a", encoding="utf-8") as file:
                    file.write(json.dumps(record) + "\n")
                await reply("250 OK: queued")
            elif verb == "QUIT":
                await reply("221 Bye")
                return
            else:
                await reply("502 Command not implemented")
    except ConnectionError:
        return
    finally:
        writer.close()


async def main() -> None:
    server = await asyncio.start_server(session, "0.0.0.0", 1025)  # noqa: S104  (in its container)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
