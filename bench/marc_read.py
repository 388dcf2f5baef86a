"""MARC reading benchmark: records per second and peak memory of the binary (ISO 2709) and
MARCXML readers, on a generated file of --records records (the sample records repeated).

    python bench/marc_read.py --records 50000

Numbers are for comparing code on one machine, not a promise.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from interchange.formats.marc import open_marc_source
from interchange.tests.data.marc import make_samples


def measure(path: Path, kind: str) -> tuple[int, float, float]:
    """(records, seconds, peak MiB of Python allocations while reading)."""
    tracemalloc.start()
    started = time.perf_counter()
    with path.open("rb") as file:
        count = sum(1 for _ in open_marc_source(file, kind=kind).records())
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return count, elapsed, peak


def timed(path: Path, kind: str) -> tuple[int, float]:
    started = time.perf_counter()
    with path.open("rb") as file:
        count = sum(1 for _ in open_marc_source(file, kind=kind).records())
    return count, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    arguments = parser.parse_args()
    samples = make_samples.utf8_records()
    repeats = arguments.records // len(samples)
    with tempfile.TemporaryDirectory() as folder:
        binary = Path(folder) / "bench.mrc"
        binary.write_bytes(b"".join(record.as_marc() for record in samples) * repeats)
        xml = Path(folder) / "bench.xml"
        xml.write_bytes(make_samples.marcxml(samples * repeats))
        for path, kind in ((binary, "marc"), (xml, "marcxml")):
            count, seconds = timed(path, kind)
            _, _, peak = measure(path, kind)
            size = path.stat().st_size / 2**20
            print(
                f"{kind:8} {count} records ({size:.1f} MiB) in {seconds:.2f} s: "
                f"{count / seconds:,.0f} records/s; peak Python memory {peak:.1f} MiB"
            )


if __name__ == "__main__":
    main()
