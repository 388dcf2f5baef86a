"""Read-path benchmark: time API list and detail requests in-process (Django's test client).

Measures the code in the current directory (or the tree on PYTHONPATH), so that
``bench/compare-refs`` can run the same requests against two commits side by side.

    DATABASE_URL=postgres://postgres@localhost:5432/shelfmark_bench python bench/api_reads.py

The database is migrated and the demo catalog loaded when it is empty. Output: one line per
request kind with the median and 90th percentile over --rounds rounds of --requests requests.
Numbers are for comparing code, not a promise: run both sides in one sitting (compare-refs).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shelfmark.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_HTTPS", "false")
os.environ.setdefault("API_RATE_ANON", "100000000/min")
os.environ.setdefault("API_RATE_USER", "100000000/min")
sys.path.insert(0, os.getcwd())

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402


def prepare() -> dict[str, str]:
    call_command("migrate", verbosity=0, interactive=False, stdout=io.StringIO())
    from catalog.models import Author, Book, Copy

    if not Book.objects.exists():
        call_command("load_demo_catalog", stdout=io.StringIO())
    book = Book.objects.order_by("id").values_list("id", flat=True)[10]
    author = Author.objects.order_by("id").values_list("id", flat=True)[10]
    copy = Copy.objects.order_by("id").values_list("id", flat=True)[10]
    return {
        "books list (20)": "/api/v1/books/",
        "books list (100)": "/api/v1/books/?page_size=100",
        "books search": "/api/v1/books/?q=the",
        "book detail": f"/api/v1/books/{book}/",
        "authors list (100)": "/api/v1/authors/?page_size=100",
        "author detail": f"/api/v1/authors/{author}/",
        "copies list (100)": "/api/v1/copies/?page_size=100",
        "copy detail": f"/api/v1/copies/{copy}/",
    }


def measure(client: Client, url: str, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        response = client.get(url, HTTP_ACCEPT="application/json")
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:200]!r}")
    return (time.perf_counter() - started) / requests * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    urls = prepare()
    client = Client()
    for url in urls.values():  # warm caches and connections
        measure(client, url, 5)
    results: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(args.rounds):
        for name, url in urls.items():
            results[name].append(measure(client, url, args.requests))
    summary = {name: statistics.median(times) for name, times in results.items()}
    if args.json:
        print(json.dumps(summary))
        return
    for name, times in results.items():
        print(f"{name:22} median {statistics.median(times):7.3f} ms   min {min(times):7.3f} ms")


if __name__ == "__main__":
    main()
