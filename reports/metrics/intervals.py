"""Half-open time intervals `[start, end)` as POSIX seconds: clipping, merging, subtracting, splitting by day.

Instants are floats (seconds since the epoch, UTC): comparing and subtracting them is many times cheaper than
aware datetimes, which matters for a year of bookings. Periods are local midnights made aware in the report's
time zone, so a day with a DST change is 23 or 25 hours long.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

Interval = tuple[float, float]


def local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The aware UTC instant at which `day` begins in `tz`."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz).astimezone(dt.UTC)


def period_bounds(start: dt.date, end: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """`[start, end)` as UTC instants at local midnight."""
    return local_midnight(start, tz), local_midnight(end, tz)


def epoch(value: dt.datetime) -> float:
    return value.timestamp()


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every date in `[start, end)`."""
    day = start
    while day < end:
        yield day
        day += dt.timedelta(days=1)


def seconds(interval: Interval) -> float:
    return interval[1] - interval[0]


def total(intervals: Iterable[Interval]) -> float:
    """Summed length of intervals that do not overlap (a merged list)."""
    return sum(e - s for s, e in intervals)


def clip(interval: Interval, bounds: Interval) -> Interval | None:
    """The part of `interval` inside `bounds`, or None."""
    start = interval[0] if interval[0] > bounds[0] else bounds[0]
    end = interval[1] if interval[1] < bounds[1] else bounds[1]
    return (start, end) if start < end else None


def clip_all(intervals: Iterable[Interval], bounds: Interval) -> list[Interval]:
    return [c for i in intervals if (c := clip(i, bounds)) is not None]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted union: overlapping or touching intervals become one."""
    merged: list[list[float]] = []
    for start, end in sorted(intervals):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


class Holes:
    """A merged, sorted list of intervals to cut out of others, one interval at a time, in O(log n + k)."""

    def __init__(self, holes: list[Interval]) -> None:
        self.holes = holes
        self.ends = [e for _, e in holes]

    def cut(self, interval: Interval) -> list[Interval]:
        """`interval` minus the holes."""
        start, end = interval
        parts: list[Interval] = []
        cursor = start
        k = bisect.bisect_right(self.ends, start)
        holes = self.holes
        while k < len(holes) and holes[k][0] < end:
            if holes[k][0] > cursor:
                parts.append((cursor, holes[k][0]))
            if holes[k][1] > cursor:
                cursor = holes[k][1]
            if cursor >= end:
                return parts
            k += 1
        parts.append((cursor, end))
        return parts


def subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    """`intervals` minus `holes`, both merged and sorted."""
    cutter = Holes(holes)
    return [part for interval in intervals for part in cutter.cut(interval)]


def intersect(intervals: list[Interval], others: list[Interval]) -> list[Interval]:
    """The common part of two merged, sorted lists."""
    result: list[Interval] = []
    i = j = 0
    while i < len(intervals) and j < len(others):
        start = max(intervals[i][0], others[j][0])
        end = min(intervals[i][1], others[j][1])
        if start < end:
            result.append((start, end))
        if intervals[i][1] < others[j][1]:
            i += 1
        else:
            j += 1
    return result


def split_by(intervals: Iterable[Interval], boundaries: list[float]) -> list[float]:
    """Seconds of `intervals` falling in each bucket `[boundaries[n], boundaries[n+1])`.

    A year of bookings is tens of thousands of intervals, nearly all inside one bucket: a sorted input walks
    the buckets forward once; anything else falls back to a binary search.
    """
    n = len(boundaries) - 1
    buckets = [0.0] * n
    if n <= 0:
        return buckets
    k = 0
    for start, end in intervals:
        if start < boundaries[k] and k:
            k = max(bisect.bisect_right(boundaries, start) - 1, 0)
        while k < n - 1 and boundaries[k + 1] <= start:
            k += 1
        if boundaries[k] <= start and end <= boundaries[k + 1]:
            if start < end:
                buckets[k] += end - start
            continue
        j = k
        while j < n and boundaries[j] < end:
            low = start if start > boundaries[j] else boundaries[j]
            high = end if end < boundaries[j + 1] else boundaries[j + 1]
            if low < high:
                buckets[j] += high - low
            j += 1
    return buckets
