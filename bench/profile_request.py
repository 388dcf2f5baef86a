"""Where a request's time goes above the SQL: one URL served many times in this process under
cProfile, through the whole WSGI stack (middleware included), with the production settings.

    python bench/profile_request.py [--requests 500] [--top 30] URL [URL ...]

Uses the benchmark's database (``DATABASE_URL``, default the one ./scripts/bench builds) with
DEBUG off. Prints, per URL, the mean time per request, the share spent waiting on the database
(the cursor's execute and fetch), and the functions with the most time of their own, so that a
change to the per-request path can be weighed before and after. Not part of the tests.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DATABASE_URL", "postgres://postgres@localhost:5432/shelfmark_bench_suite")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shelfmark.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "profile-only-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("SECURE_HTTPS", "false")
os.environ.setdefault("API_RATE_ANON", "100000000/min")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    import django

    django.setup()
    from django.test import Client

    client = Client()
    for url in args.urls:
        accept = "application/json" if url.startswith("/api/") else "text/html"
        for _ in range(20):  # warm: first-use imports and caches aside
            client.get(url, HTTP_ACCEPT=accept)
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        for _ in range(args.requests):
            client.get(url, HTTP_ACCEPT=accept)
        profile.disable()
        elapsed = time.perf_counter() - started
        stats = pstats.Stats(profile)
        database = sum(
            entry[3]  # cumulative time
            for (filename, _, name), entry in stats.stats.items()  # type: ignore[attr-defined]
            if "psycopg" in filename and name in ("execute", "fetchall", "fetchmany", "fetchone")
        )
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
        print(f"=== {url}: {elapsed / args.requests * 1000:.2f} ms a request (profiled), "
              f"database {database / args.requests * 1000:.2f} ms")  # fmt: skip
        print(out.getvalue())


if __name__ == "__main__":
    main()
