"""Small server-made SVG charts (no library, no script): bars for hours per month, activities by kind."""

from __future__ import annotations

import datetime as dt

from markupsafe import Markup, escape

WIDTH = 360
BAR_AREA = 150
PALETTE = ("#b3261e", "#1e7b34", "#0b57a4", "#d89a00", "#6a3d9a", "#00838f")


def bar_chart(points: list[tuple[str, float]], *, label: str, unit: str = "", empty: str | None = None) -> Markup:
    """Vertical bars, one per (label, value), with the value written above each bar; `empty` instead when every
    value is zero (a box of blank bars reads like a page that failed to load)."""
    if empty is not None and not any(value for _, value in points):
        return Markup(f'<p class="muted chart-empty">{escape(empty)}</p>')
    count = max(len(points), 1)
    slot = WIDTH / count
    top = max([v for _, v in points] + [1])
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {BAR_AREA + 50}" role="img" aria-label="{escape(label)}">',
             f"<title>{escape(label)}</title>"]
    for i, (name, value) in enumerate(points):
        height = round(BAR_AREA * value / top) if value else 0
        x = i * slot + slot * 0.15
        y = BAR_AREA + 20 - height
        shown = f"{value:g}{unit}"
        parts.append(f'<rect x="{x:.1f}" y="{y}" width="{slot * 0.7:.1f}" height="{height}" fill="#b3261e"/>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{y - 4}" font-size="12" text-anchor="middle">'
                     f"{escape(shown)}</text>")
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{BAR_AREA + 38}" font-size="12" text-anchor="middle">'
                     f"{escape(name)}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))


def share_chart(points: list[tuple[str, int]], *, label: str) -> Markup:
    """Horizontal bars of shares (e.g. activities by kind), each with its name and count."""
    total = sum(v for _, v in points) or 1
    row = 30
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {row * max(len(points), 1) + 10}" role="img" '
             f'aria-label="{escape(label)}"><title>{escape(label)}</title>']
    for i, (name, value) in enumerate(points):
        width = round((WIDTH - 140) * value / total)
        y = 5 + i * row
        parts.append(f'<text x="0" y="{y + 18}" font-size="13">{escape(name)}</text>')
        parts.append(f'<rect x="100" y="{y + 4}" width="{width}" height="18" fill="{PALETTE[i % len(PALETTE)]}"/>')
        parts.append(f'<text x="{104 + width}" y="{y + 18}" font-size="13">{value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def last_months(today: dt.date, count: int) -> list[str]:
    """The labels ("2026-11") of the last `count` months, oldest first."""
    labels = []
    year, month = today.year, today.month
    for _ in range(count):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return labels[::-1]
