"""The checkout desk as a USB barcode scanner drives it, against a running server (gunicorn with
several workers on PostgreSQL, say): Debian's chromium, under Playwright, types a patron's card
and then copy barcodes into /desk/, a key every 2 ms and no pause between codes, then the
database says whether each copy was lent exactly once.

    DATABASE_URL=postgres://postgres@localhost:5432/shelfmark_desk_manual DEBUG=true \\
        python bench/desk_burst.py --url http://127.0.0.1:8765 --username deskman \\
        --password … --card C-1010 --copies 49 [--outage]

The copies are the first available ones by barcode. ``--outage`` makes the server unreachable
(connection refused) for the first third of the copies and loses the answers of the second
third on their way back (the server does the scan), through Playwright's routing; the script
prints what the page showed and what the database holds, and exits 1 if any copy was not lent
once. It writes to the database it is pointed at: use a scratch one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.parse
from collections import Counter
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shelfmark.settings")
sys.path.insert(0, os.getcwd())

import django

django.setup()

from django.utils import timezone  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from catalog.models import Copy, CopyStatus  # noqa: E402
from circulation.models import CirculationEvent, EventKind, Loan  # noqa: E402

ROWS = "table.lines tbody tr"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8765")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--card", required=True, help="the patron's card, scanned first")
    parser.add_argument("--copies", type=int, default=49, help="copies scanned after the card")
    parser.add_argument("--key-delay", type=float, default=2, help="ms between keys")
    parser.add_argument("--outage", action="store_true")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()

    barcodes = list(
        Copy.objects.filter(status=CopyStatus.AVAILABLE)
        .order_by("barcode")
        .values_list("barcode", flat=True)[: args.copies]
    )
    started = timezone.now()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        page = browser.new_context(base_url=args.url).new_page()
        shown, posted, seconds = burst(page, args, barcodes)
        browser.close()
    return report(args, barcodes, started, shown, posted, seconds)


def burst(page: Any, args: argparse.Namespace, barcodes: list[str]) -> tuple[Any, Counter, float]:
    posted: Counter = Counter()

    def count(request: Any) -> None:
        if request.method == "POST" and request.headers.get("idempotency-key"):
            posted[urllib.parse.parse_qs(request.post_data or "").get("code", ["?"])[0]] += 1

    page.on("request", count)
    mode = "up"
    lost: set[str] = set()  # keys whose answer was lost
    third = len(barcodes) // 3

    def route(route: Any) -> None:
        key = route.request.headers.get("idempotency-key")
        if route.request.method != "POST" or mode == "up" or key in lost:
            route.continue_()
        elif mode == "refused":
            route.abort("connectionrefused")
        else:  # the server does the scan, the answer is lost: once per scan
            lost.add(key)
            route.fetch()
            route.abort()

    page.route("**/desk/", route)
    page.goto("/account/sign-in/?next=/desk/")
    page.get_by_label("Username").fill(args.username)
    page.get_by_label("Password").fill(args.password)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Patron card")).to_be_focused()

    def scan(codes: list[str]) -> None:
        page.keyboard.type("".join(f"{code}\n" for code in codes), delay=args.key_delay)

    start = time.monotonic()
    if args.outage:
        scan([args.card])
        mode = "refused"
        scan(barcodes[:third])
        expect(page.locator(".desk-waiting")).to_contain_text("waiting for the server")
        mode = "lost"
        scan(barcodes[third : 2 * third])
        # A few answers lost, and their scans sent again, before all is well.
        fifth = page.locator(ROWS).filter(has=page.locator("td", has_text=barcodes[4]))
        expect(fifth).to_have_class("ok", timeout=60_000)
        mode = "up"
        scan(barcodes[2 * third :])
    else:
        scan([args.card, *barcodes])
    expect(page.locator(f"{ROWS}.pending")).to_have_count(0, timeout=300_000)
    seconds = time.monotonic() - start
    shown = {
        "rows": page.locator(ROWS).count(),
        "lent": page.locator(f"{ROWS}.ok").count(),
        "refused": page.locator(f"{ROWS}.refused").count(),
        "refusals": page.locator(f"{ROWS}.refused").all_inner_texts(),
        "replays": len(lost),
    }
    return shown, posted, seconds


def report(
    args: argparse.Namespace,
    barcodes: list[str],
    started: Any,
    shown: dict[str, Any],
    posted: Counter,
    seconds: float,
) -> int:
    loans = Counter(
        Loan.objects.filter(copy__barcode__in=barcodes, checked_out_at__gte=started).values_list(
            "copy__barcode", flat=True
        )
    )
    events = Counter(
        CirculationEvent.objects.filter(
            kind=EventKind.CHECKOUT, copy__barcode__in=barcodes, at__gte=started
        ).values_list("copy__barcode", flat=True)
    )
    codes = 1 + len(barcodes)
    print(f"{codes} codes typed ({args.key_delay} ms per key{', outage' if args.outage else ''})")
    print(f"page: {shown['rows']} rows, {shown['lent']} lent, {shown['refused']} refused")
    for refusal in shown["refusals"]:
        print(f"  refused: {refusal}")
    print(f"all answered {seconds:.1f} s after the first key")
    print(f"requests per code: {dict(Counter(posted.values()))} (count: codes)")
    if args.outage:
        print(f"answers lost on the way and the scan sent again: {shown['replays']}")
    print(f"database: {len(loans)} copies lent, loans per copy {dict(Counter(loans.values()))}")
    print(f"checkout events per copy: {dict(Counter(events.values()))}")
    once = all(loans[code] == 1 and events[code] == 1 for code in barcodes)
    print("each copy lent exactly once" if once else "NOT each copy lent exactly once")
    return 0 if once else 1


if __name__ == "__main__":
    sys.exit(main())
