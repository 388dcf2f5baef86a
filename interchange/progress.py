"""Progress of long work on the command line: a tqdm bar with rate and time left on a
terminal; a plain line now and then when the output goes to a file or a log (cron, docker)."""

from __future__ import annotations

import time
from typing import Any, TextIO

from tqdm import tqdm

PLAIN_EVERY_SECONDS = 10.0


class Progress:
    """Tracks bytes of the file read (which gives the time left) and records handled (which
    gives the rate librarians understand)."""

    def __init__(self, *, total_bytes: int | None, stream: TextIO, label: str = "Importing"):
        self.stream = stream
        self.total_bytes = total_bytes
        self.label = label
        self.started = time.monotonic()
        self.last_line = self.started
        self.records = 0
        self.bar: tqdm[Any] | None = None
        if stream.isatty():
            self.bar = tqdm(
                total=total_bytes,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=label,
                file=stream,
                dynamic_ncols=True,
            )

    def update(self, *, bytes_read: int, records: int, failed: int) -> None:
        self.records = records
        if self.bar is not None:
            self.bar.update(bytes_read - self.bar.n)
            self.bar.set_postfix(
                records=f"{records:,}", rate=f"{self._rate():,.0f}/s", failed=failed, refresh=False
            )
            return
        now = time.monotonic()
        if now - self.last_line >= PLAIN_EVERY_SECONDS:
            self.last_line = now
            self.stream.write(
                f"{self.label}: {records:,} records, {self._rate():,.0f} records/s, "
                f"{failed:,} failed{self._share(bytes_read)}\n"
            )
            self.stream.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def _rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.records / elapsed if elapsed > 0 else 0.0

    def _share(self, bytes_read: int) -> str:
        total = self.total_bytes
        return f", {bytes_read / total:.0%} of the file" if total else ""
