"""Server-side SVG for the portal: the counts histogram of a job and the allocation bar of a project."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from scheduling.selectors.common import hours_str

# Drawing units; the SVG scales with its container through its viewBox.
BAR_AREA_HEIGHT = 200
LEFT_AXIS = 48
BOTTOM_AXIS = 64
TOP_PAD = 22
MIN_BAR_PITCH = 26
MAX_WIDTH = 960


@dataclass(frozen=True)
class HistogramBar:
    """One outcome of a job: its bitstring, count and share of the shots."""

    bitstring: str
    count: int
    share: float

    @property
    def percent(self) -> float:
        return self.share * 100


def histogram_bars(counts: Mapping[str, int]) -> list[HistogramBar]:
    """The outcomes sorted by bitstring (Qiskit order: classical bit 0 is the rightmost character)."""
    total = sum(counts.values()) or 1
    return [HistogramBar(bitstring=k, count=v, share=v / total) for k, v in sorted(counts.items())]


def _nice_max(value: int) -> int:
    """The smallest 1/2/5 x 10^n at or above `value`, so the axis has round ticks."""
    if value <= 0:
        return 1
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def histogram_svg(counts: Mapping[str, int], *, label: str) -> SafeString:
    """An accessible bar chart of measurement counts: role="img" with an aria-label; the page adds a table."""
    bars = histogram_bars(counts)
    pitch = max(MIN_BAR_PITCH, min(90, (MAX_WIDTH - LEFT_AXIS) // max(len(bars), 1)))
    width = LEFT_AXIS + pitch * max(len(bars), 1) + 8
    height = TOP_PAD + BAR_AREA_HEIGHT + BOTTOM_AXIS
    top = _nice_max(max((b.count for b in bars), default=0))
    parts = [
        f'<svg class="histogram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(label)}</title>",
    ]
    base_y = TOP_PAD + BAR_AREA_HEIGHT
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        y = base_y - fraction * BAR_AREA_HEIGHT
        parts.append(f'<line class="grid" x1="{LEFT_AXIS}" y1="{y:.1f}" x2="{width - 4}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="tick" x="{LEFT_AXIS - 6}" y="{y + 4:.1f}" text-anchor="end">{round(top * fraction)}</text>'
        )
    rotate = len(bars) > 8
    for index, bar in enumerate(bars):
        bar_height = BAR_AREA_HEIGHT * bar.count / top
        x = LEFT_AXIS + index * pitch + pitch * 0.15
        bar_width = pitch * 0.7
        centre = x + bar_width / 2
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{base_y - bar_height:.1f}" width="{bar_width:.1f}" '
            f'height="{bar_height:.1f}" rx="2"><title>{escape(bar.bitstring)}: {bar.count}</title></rect>'
        )
        if not rotate:
            parts.append(
                f'<text class="value" x="{centre:.1f}" y="{base_y - bar_height - 5:.1f}" '
                f'text-anchor="middle">{bar.count}</text>'
            )
        label_y = base_y + 16
        if rotate:
            parts.append(
                f'<text class="label" x="{centre:.1f}" y="{label_y}" text-anchor="end" '
                f'transform="rotate(-60 {centre:.1f} {label_y})">{escape(bar.bitstring)}</text>'
            )
        else:
            parts.append(
                f'<text class="label" x="{centre:.1f}" y="{label_y}" '
                f'text-anchor="middle">{escape(bar.bitstring)}</text>'
            )
    parts.append(f'<line class="axis" x1="{LEFT_AXIS}" y1="{base_y}" x2="{width - 4}" y2="{base_y}"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 -- every interpolated text is escaped above


def usage_bar_svg(*, granted: Decimal, used: Decimal) -> SafeString:
    """A horizontal bar of an allocation: used hours over granted hours, with a text alternative."""
    share = float(used / granted) if granted > 0 else 0.0
    share = min(max(share, 0.0), 1.0)
    label = _("%(used)s of %(granted)s hours used") % {"used": hours_str(used), "granted": hours_str(granted)}
    state = "bad" if share >= 0.9 else "warn" if share >= 0.7 else "ok"
    return mark_safe(  # noqa: S308 -- numbers and an escaped label only
        f'<svg class="usagebar usagebar--{state}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 8" '
        f'preserveAspectRatio="none" role="img" aria-label="{escape(label)}">'
        f'<rect class="track" x="0" y="0" width="100" height="8" rx="4"/>'
        f'<rect class="fill" x="0" y="0" width="{share * 100:.2f}" height="8" rx="4"/></svg>'
    )


# --- the week calendar: blocks positioned by their share of the local day (DST-aware) ---


@dataclass(frozen=True)
class Interval:
    """A stretch of a backend's time: free, the viewer's own booking, someone else's, or downtime."""

    starts_at: datetime
    ends_at: datetime
    kind: str
    label: str = ""
    url: str = ""


@dataclass(frozen=True)
class CalendarBlock:
    """An interval clipped to one local day, with its position in percent of that day."""

    starts_at: datetime
    ends_at: datetime
    kind: str
    label: str
    url: str
    top: float
    height: float
    start_label: str
    end_label: str


@dataclass(frozen=True)
class CalendarDay:
    """One local day of the week view."""

    date: date
    starts_at: datetime
    ends_at: datetime
    is_today: bool
    blocks: list[CalendarBlock]


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The aware start of a local day (DST-safe: built from the date, not by adding 24 h)."""
    return datetime.combine(day, time.min, tzinfo=tz)


def split_free(interval: Interval, *, tz: tzinfo, step: timedelta = timedelta(hours=1)) -> list[Interval]:
    """Cut a free interval at local hour boundaries, so each piece is a bookable, clickable chunk."""
    pieces: list[Interval] = []
    cursor = interval.starts_at
    while cursor < interval.ends_at:
        local = cursor.astimezone(tz)
        boundary = local.replace(minute=0, second=0, microsecond=0) + step
        piece_end = min(boundary.astimezone(UTC), interval.ends_at)
        pieces.append(Interval(cursor, piece_end, interval.kind, interval.label, interval.url))
        cursor = piece_end
    return pieces


def week_days(
    *, first_day: date, tz: tzinfo, intervals: list[Interval], today: date, days: int = 7
) -> list[CalendarDay]:
    """Lay the intervals out on `days` local days from `first_day`; each block is clipped to its day."""
    result = []
    ordered = sorted(intervals, key=lambda i: (i.starts_at, i.kind))
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        day_start = local_midnight(day, tz)
        day_end = local_midnight(day + timedelta(days=1), tz)
        length = (day_end - day_start).total_seconds()
        blocks = []
        for item in ordered:
            start, end = max(item.starts_at, day_start), min(item.ends_at, day_end)
            if end <= start:
                continue
            blocks.append(
                CalendarBlock(
                    starts_at=start,
                    ends_at=end,
                    kind=item.kind,
                    label=item.label,
                    url=item.url,
                    top=round((start - day_start).total_seconds() / length * 100, 3),
                    height=round((end - start).total_seconds() / length * 100, 3),
                    start_label=start.astimezone(tz).strftime("%H:%M"),
                    # A block running to midnight ends at 24:00 of this day, not at 00:00.
                    end_label="24:00" if end == day_end else end.astimezone(tz).strftime("%H:%M"),
                )
            )
        result.append(CalendarDay(date=day, starts_at=day_start, ends_at=day_end, is_today=day == today, blocks=blocks))
    return result
