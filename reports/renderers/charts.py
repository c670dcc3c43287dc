"""Server-side SVG charts for the PDF: stacked bars, lines and horizontal share bars; no JavaScript, no network."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

FONT = "'Noto Sans CJK KR', 'Noto Sans KR', sans-serif"
PALETTE = ("#c0392b", "#e67e22", "#2e86c1", "#d5dbdb", "#27ae60", "#8e44ad", "#16a085", "#7f8c8d")
Series = tuple[str, str, Sequence[float | None]]


def data_uri(svg: str) -> str:
    """An `<img src>` for WeasyPrint (it renders SVG images itself)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _frame(width: int, height: int, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{escape(FONT)}" font-size="9">' + "".join(body) + "</svg>"
    )


def _legend(series: Sequence[tuple[str, str]], x: float, y: float) -> list[str]:
    parts = []
    for label, color in series:
        parts.append(f'<rect x="{x:.1f}" y="{y - 7:.1f}" width="8" height="8" fill="{color}"/>')
        parts.append(f'<text x="{x + 11:.1f}" y="{y:.1f}">{escape(label)}</text>')
        x += 16 + 5.5 * len(label)
    return parts


def _x_labels(labels: Sequence[str], left: float, step: float, bottom: float) -> list[str]:
    parts = []
    every = max(1, len(labels) // 12)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{left + step * (i + 0.5):.1f}" y="{bottom + 11:.1f}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    return parts


def _y_axis(top: float, bottom: float, left: float, right: float, y_max: float, fmt: str) -> list[str]:
    parts = []
    for k in range(5):
        value = y_max * k / 4
        y = bottom - (bottom - top) * k / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#ccc" stroke-width="0.5"/>')
        parts.append(f'<text x="{left - 3}" y="{y + 3:.1f}" text-anchor="end">{fmt.format(value)}</text>')
    return parts


def stacked_bars(
    labels: Sequence[str], series: Sequence[Series], *, unit: str = "h", width: int = 680, height: int = 240
) -> str:
    """One bar per label, its segments stacked in series order (e.g. the daily states, which add up to 24 h)."""
    left, right, top, bottom = 40.0, width - 10.0, 24.0, height - 22.0
    totals = [sum(v or 0 for _, _, values in series for v in [values[i]]) for i in range(len(labels))]
    y_max = max(totals, default=0) or 1
    step = (right - left) / max(len(labels), 1)
    body = _legend([(label, color) for label, color, _ in series], left, 12)
    body += _y_axis(top, bottom, left, right, y_max, "{:.0f} " + unit)
    for i in range(len(labels)):
        y = bottom
        for _label, color, values in series:
            h = (values[i] or 0) / y_max * (bottom - top)
            if h > 0:
                body.append(
                    f'<rect x="{left + step * i + step * 0.1:.1f}" y="{y - h:.1f}" '
                    f'width="{step * 0.8:.1f}" height="{h:.1f}" fill="{color}"/>'
                )
            y -= h
    body += _x_labels(labels, left, step, bottom)
    return _frame(width, height, body)


def lines(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_min: float = 0.0,
    y_max: float | None = None,
    fmt: str = "{:.0%}",
    width: int = 680,
    height: int = 200,
) -> str:
    """Line chart; gaps (None) break a line, so a day with nothing available is not drawn as 0 %."""
    left, right, top, bottom = 44.0, width - 10.0, 24.0, height - 22.0
    values = [v for _, _, vs in series for v in vs if v is not None]
    top_value = y_max if y_max is not None else (max(values, default=1.0) or 1.0)
    span = (top_value - y_min) or 1.0
    step = (right - left) / max(len(labels), 1)
    body = _legend([(label, color) for label, color, _ in series], left, 12)
    for k in range(5):
        value = y_min + span * k / 4
        y = bottom - (bottom - top) * k / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#ccc" stroke-width="0.5"/>')
        body.append(f'<text x="{left - 3}" y="{y + 3:.1f}" text-anchor="end">{escape(fmt.format(value))}</text>')
    for _label, color, vs in series:
        segment: list[str] = []
        segments: list[list[str]] = [segment]
        for i, v in enumerate(vs):
            if v is None:
                segment = []
                segments.append(segment)
                continue
            x = left + step * (i + 0.5)
            y = bottom - (v - y_min) / span * (bottom - top)
            segment.append(f"{x:.1f},{y:.1f}")
        for points in segments:
            if len(points) > 1:
                body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" stroke-width="1.5"/>')
            elif points:
                cx, cy = points[0].split(",")
                body.append(f'<circle cx="{cx}" cy="{cy}" r="2" fill="{color}"/>')
    body += _x_labels(labels, left, step, bottom)
    return _frame(width, height, body)


def share_bars(items: Sequence[tuple[str, float]], *, width: int = 680) -> str:
    """Horizontal bars of each item's share of the total (e.g. booked time by institution)."""
    total = sum(v for _, v in items) or 1.0
    row, left = 18, 200.0
    height = 10 + row * max(len(items), 1)
    body = []
    for i, (label, value) in enumerate(items):
        y = 6 + row * i
        share = value / total
        w = (width - left - 60) * share
        color = PALETTE[i % len(PALETTE)]
        body.append(f'<text x="{left - 6}" y="{y + 11}" text-anchor="end">{escape(label[:40])}</text>')
        body.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="13" fill="{color}"/>')
        body.append(f'<text x="{left + w + 4:.1f}" y="{y + 11}">{share:.1%}</text>')
    if not items:
        body.append(f'<text x="{width / 2}" y="18" text-anchor="middle">-</text>')
    return _frame(width, height, body)
