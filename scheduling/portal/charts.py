"""Server-side SVG line charts for the portal: a value per qubit or coupler over time (calibration history)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Drawing units; the SVG scales with its container through its viewBox.
WIDTH = 520
HEIGHT = 230
LEFT = 62
RIGHT = 12
TOP = 12
BOTTOM = 32
X_TICKS = 5
Y_TICKS = 4


@dataclass(frozen=True)
class Series:
    """One line: a qubit's (or coupler's) values at the times they were measured, oldest first."""

    name: str
    points: tuple[tuple[datetime, float], ...]


def _value_range(series: Sequence[Series]) -> tuple[float, float]:
    values = [value for line in series for _when, value in line.points]
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or max(abs(high) * 0.01, 0.01)
    return low - pad, high + pad


def line_chart_svg(
    series: Sequence[Series],
    *,
    label: str,
    start: datetime,
    end: datetime,
    tz: tzinfo,
    decimals: int = 1,
) -> SafeString:
    """A chart of each series over `[start, end)` (role="img", aria-label; the page adds a table of values).

    Series keep their order: the n-th is drawn with class `s<n>`, which the legend of the page repeats.
    """
    low, high = _value_range(series)
    span = (end - start).total_seconds() or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(when: datetime) -> float:
        return LEFT + plot_w * min(max((when - start).total_seconds() / span, 0.0), 1.0)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - (value - low) / (high - low))

    parts = [
        f'<svg class="linechart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(label)}" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(label)}</title>",
    ]
    for i in range(Y_TICKS + 1):
        value = low + (high - low) * i / Y_TICKS
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y(value):.1f}" x2="{WIDTH - RIGHT}" y2="{y(value):.1f}"/>')
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value:.{decimals}f}</text>'
        )
    for i in range(X_TICKS + 1):
        when = start + (end - start) * i / X_TICKS
        anchor = "start" if i == 0 else "end" if i == X_TICKS else "middle"
        parts.append(
            f'<text class="tick" x="{x(when):.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}">'
            f"{when.astimezone(tz).strftime('%m-%d')}</text>"
        )
    parts.append(f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}"/>')
    for index, line in enumerate(series):
        coordinates = [(x(when), y(value), when, value) for when, value in line.points]
        css = f"s{index % 8}"
        if len(coordinates) > 1:
            path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy, _when, _value in coordinates)
            parts.append(f'<polyline class="line {css}" points="{path}"/>')
        for cx, cy, when, value in coordinates:
            title = f"{line.name} {when.astimezone(tz).strftime('%Y-%m-%d %H:%M')}: {value:.{decimals}f}"
            parts.append(
                f'<circle class="dot {css}" cx="{cx:.1f}" cy="{cy:.1f}" r="3.5"><title>{escape(title)}</title></circle>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 -- every interpolated text is escaped above
