"""Charts drawn on the server as inline SVG: no script, no chart library, nothing fetched.

Colours and sizes are SVG attributes (the pages' Content-Security-Policy forbids inline
styles); every text is escaped. A chart is a `Markup` the templates insert as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = ("#1f4f8f", "#b45309", "#15803d", "#9b1c1c", "#6b21a8", "#0e7490", "#6b7280")
FONT = 'font-family="DejaVu Sans, Arial, sans-serif" font-size="12"'


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    colour: str = ""


def _text(x: float, y: float, text: str, *, anchor: str = "start", extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT} fill="#1d2430"{extra}>'
        f"{escape(text)}</text>"
    )


def _number(value: float) -> str:
    whole = round(value)
    return f"{whole:,}".replace(",", "\u00a0") if abs(value - whole) < 1e-9 else f"{value:.1f}"


def bars(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "",
    colours: Sequence[str] = (),
    width: int = 560,
) -> Markup:
    """Horizontal bars, one per (label, value), the value written at the bar's end."""
    if not items:
        return Markup("")
    label_w, row_h, top = 250, 22, 8
    height = top + row_h * len(items) + 6
    top_value = max(value for _, value in items) or 1
    scale = (width - label_w - 80) / top_value
    parts = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for n, (label, value) in enumerate(items):
        y = top + n * row_h
        colour = colours[n] if n < len(colours) else PALETTE[0]
        parts.append(_text(label_w - 6, y + 14, label[:32], anchor="end"))
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{max(value * scale, 1):.1f}" height="15" '
            f'fill="{colour}"><title>{escape(label)}: {_number(value)}{escape(unit)}</title></rect>'
        )
        parts.append(_text(label_w + value * scale + 5, y + 14, _number(value) + unit))
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    y_label: str = "",
    width: int = 580,
    height: int = 220,
) -> Markup:
    """Vertical columns, the series stacked, one column per label (days, buckets), a legend."""
    if not labels or not series:
        return Markup("")
    left, bottom, top = 48, 42, 24
    plot_w, plot_h = width - left - 10, height - top - bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top_value = max(totals) or 1
    step = plot_w / len(labels)
    bar_w = max(step * 0.75, 1)
    parts = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#8a93a3"/>',
        _text(left - 4, top + 4, _number(top_value), anchor="end"),
        _text(left - 4, top + plot_h, "0", anchor="end"),
    ]
    if y_label:
        parts.append(_text(left, top - 10, y_label))
    every = max(1, round(len(labels) / max(plot_w // 60, 1)))
    for i, label in enumerate(labels):
        x = left + i * step + (step - bar_w) / 2
        y: float = top + plot_h
        for k, s in enumerate(series):
            value = s.values[i]
            if value <= 0:
                continue
            h = value / top_value * plot_h
            y -= h
            colour = s.colour or PALETTE[k % len(PALETTE)]
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(label)}, {escape(s.name)}: '
                f"{_number(value)}</title></rect>"
            )
        if i % every == 0:
            parts.append(_text(x + bar_w / 2, top + plot_h + 15, label, anchor="middle"))
    legend_x: float = left
    for k, s in enumerate(series):
        colour = s.colour or PALETTE[k % len(PALETTE)]
        parts.append(
            f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
        )
        parts.append(_text(legend_x + 14, height - 5, s.name))
        legend_x += 24 + 7 * len(s.name)
    parts.append("</svg>")
    return Markup("".join(parts))
