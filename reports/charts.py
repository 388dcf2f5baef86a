"""Charts drawn on the server as SVG: bars, with their values written on them, and the data
also in the page's table (which is what a screen reader reads; the chart is an image with a
title). No script, no style attribute (the Content-Security-Policy allows neither inline):
presentation attributes only, and the site's stylesheet for the colours."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720
BAR = 22  # a horizontal bar's height, and its gap
LABEL_WIDTH = 220  # room for a horizontal chart's labels
MOST_LABEL_CHARACTERS = 32


def bar_chart(points: Sequence[tuple[str, int]], *, title: str, horizontal: bool) -> SafeString:
    if not points:
        return mark_safe("")
    if horizontal:
        return _across(points, title)
    return _upright(points, title)


def _across(points: Sequence[tuple[str, int]], title: str) -> SafeString:
    top = max(value for _label, value in points) or 1
    height = len(points) * (BAR + 6) + 10
    room = WIDTH - LABEL_WIDTH - 60
    parts = []
    for n, (label, value) in enumerate(points):
        y = 5 + n * (BAR + 6)
        width = max(1, round(room * value / top)) if value else 0
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end">'
            f"{escape(_short(label))}</text>"
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR}"/>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{y + BAR * 0.7:.1f}">{_number(value)}</text>'
        )
    return _svg(title, height, "".join(parts))


def _upright(points: Sequence[tuple[str, int]], title: str) -> SafeString:
    top = max(value for _label, value in points) or 1
    height, base = 260, 220
    step = (WIDTH - 40) / len(points)
    bar = max(2.0, step * 0.7)
    every = max(1, round(len(points) / 12))  # at most about 12 labels under the bars
    parts = [f'<line class="axis" x1="20" y1="{base}" x2="{WIDTH - 20}" y2="{base}"/>']
    for n, (label, value) in enumerate(points):
        x = 20 + n * step + (step - bar) / 2
        tall = round(190 * value / top) if value else 0
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{base - tall}" width="{bar:.1f}" height="{tall}">'
            f"<title>{escape(label)}: {_number(value)}</title></rect>"
        )
        if value and len(points) <= 24:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{base - tall - 4}" text-anchor="middle">'
                f"{_number(value)}</text>"
            )
        if n % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{base + 16}" text-anchor="middle">'
                f"{escape(_short(label, 10))}</text>"
            )
    return _svg(title, height, "".join(parts))


def _svg(title: str, height: int, body: str) -> SafeString:
    # Every value is a number or escaped text.
    return mark_safe(  # noqa: S308
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _number(value: int) -> str:
    """A count as people read it in their language ("1,234"; "1.234" in German)."""
    return str(escape(number_format(value, force_grouping=True)))


def _short(label: str, most: int = MOST_LABEL_CHARACTERS) -> str:
    return label if len(label) <= most else label[: most - 1].rstrip() + "…"
