"""How bookings and jobs used a backend: per project and user tallies, the booked and used intervals."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Sum
from django.db.models.functions import TruncDate

from reports.metrics import intervals as iv
from reports.metrics import jobs, rollups
from reports.metrics.utilization.states import Period
from reports.metrics.utilization.tally import BOOKED, EXEC, FAILED, JOBS, LATE, LOST, NO_SHOW, SHOTS, USED, _tally
from scheduling.choices import BOOKED_STATUSES, BookingStatus
from scheduling.models import Backend, Job

Pairs = dict[tuple[int, int], list[float]]


@dataclass
class JobUsage:
    """Job tallies per (project, user), QPU seconds per local day and the job span of each booking."""

    by_pair: Pairs
    exec_by_day: list[float]
    spans: dict[int, list[float]]


@dataclass
class BookingUsage:
    """The booked and used intervals and the booking totals of the period."""

    booked: list[iv.Interval] = field(default_factory=list)
    used: list[iv.Interval] = field(default_factory=list)
    no_show_seconds: float = 0.0
    late_cancelled_seconds: float = 0.0
    booked_lost_seconds: float = 0.0
    used_seconds: float = 0.0
    completed: int = 0
    no_shows: int = 0
    late_cancels: int = 0


def _crosses_midnight(start: float, end: float, boundaries: list[float]) -> bool:
    k = bisect.bisect_right(boundaries, start)
    return k < len(boundaries) and boundaries[k] < end


def _job_usage(
    backend: Backend,
    period: Period,
    bounds: iv.Interval,
    bookings: list[tuple[Any, ...]],
    job_totals: jobs.JobTotals,
    start: dt.date,
    tz: ZoneInfo,
    boundaries: list[float],
) -> JobUsage:
    """Jobs started in the period, per project and user and per booking.

    From the sealed days' rollups and the rest of the period; a per-job time zone conversion to group by local
    day would cost as much again, so only bookings that cross a local midnight are split by day, below.
    """
    period_jobs = Job.objects.filter(backend=backend, started_at__gte=period[0], started_at__lt=period[1])
    crossing = {b[0] for b in bookings if _crosses_midnight(b[3], b[4], boundaries)}
    # Tallied per project and user pair (one lookup per row), then folded into projects and users.
    by_pair: Pairs = defaultdict(_tally)
    day_count = len(boundaries) - 1
    exec_by_day = [0.0] * day_count
    spans: dict[int, list[float]] = {}
    for project_id, user_id, n_jobs, n_failed, shot_sum, exec_sum in job_totals.pairs:
        tally = by_pair[project_id, user_id]
        tally[EXEC] += exec_sum
        tally[JOBS] += n_jobs
        tally[FAILED] += n_failed
        tally[SHOTS] += shot_sum
    last_day = day_count - 1
    for booking_id, first, last, exec_sum in job_totals.spans:
        if booking_id not in crossing:
            # The local day of the first start (bisect inlined: this runs once per booking and sealed day).
            day_index = bisect.bisect_right(boundaries, first) - 1
            exec_by_day[0 if day_index < 0 else last_day if day_index > last_day else day_index] += exec_sum
        span = spans.get(booking_id)
        if span is None:
            spans[booking_id] = [first, last]
        else:
            if first < span[0]:
                span[0] = first
            if last > span[1]:
                span[1] = last
    if crossing:
        for row in (
            period_jobs.filter(booking_id__in=crossing)
            .annotate(day=TruncDate("started_at", tzinfo=tz))
            .values("day")
            .annotate(exec_sum=Sum("qpu_seconds"))
            .order_by()
        ):
            exec_by_day[(row["day"] - start).days] += float(row["exec_sum"] or 0)
    # A booking that straddles the period's start or end may have jobs started outside it: read its whole span.
    straddling = [b[0] for b in bookings if b[3] < bounds[0] or b[4] > bounds[1]]
    if straddling:
        span_of = rollups.group_aggregates(as_epoch=True)
        for row in (
            Job.objects.filter(booking_id__in=straddling, started_at__isnull=False)
            .values("booking_id")
            .annotate(first=span_of["first"], last=span_of["last"])
            .order_by()
        ):
            spans[row["booking_id"]] = [row["first"], row["last"]]
    return JobUsage(by_pair, exec_by_day, spans)


def _booking_usage(
    bookings: list[tuple[Any, ...]],
    bounds: iv.Interval,
    down: iv.Holes,
    spans: dict[int, list[float]],
    by_pair: Pairs,
) -> BookingUsage:
    """Walk the bookings in start order: booked time outside downtime, used spans, no-shows and late cancels.

    One loop over up to tens of thousands of rows, kept in one function with plain locals on purpose (speed).
    """
    booked: list[iv.Interval] = []
    used: list[iv.Interval] = []
    no_show_seconds = late_cancelled_seconds = booked_lost_seconds = used_seconds = 0.0
    completed = no_shows = late_cancels = 0
    cursor = bounds[0]
    low, high = bounds
    # Plain strings: comparing them is cheaper than comparing enum members, 30 000 times over.
    booked_statuses = {str(x) for x in BOOKED_STATUSES}
    no_show, completed_status = str(BookingStatus.NO_SHOW), str(BookingStatus.COMPLETED)
    cancelled = str(BookingStatus.CANCELLED)
    for pk, project_id, user_id, b_start, b_end, status, late in bookings:
        # Clipped to the period (the query selected overlapping bookings only).
        c_start = b_start if b_start > low else low
        c_end = b_end if b_end < high else high
        starts_in_period = low <= b_start < high
        booked_part = lost_part = used_part = no_show_part = late_part = 0.0
        if status in booked_statuses:
            # Time is booked once: if bad data lets two bookings overlap, the earlier one keeps the overlap.
            e_start = c_start if c_start > cursor else cursor
            if c_end > cursor:
                cursor = c_end
            if e_start < c_end:
                for p_start, p_end in down.cut((e_start, c_end)):
                    booked_part += p_end - p_start
                    # Back-to-back bookings become one interval (the list stays merged, and short).
                    if booked and booked[-1][1] == p_start:
                        booked[-1] = (booked[-1][0], p_end)
                    else:
                        booked.append((p_start, p_end))
                lost_part = (c_end - e_start) - booked_part
            span = spans.get(pk)
            if span is not None:
                u_start = span[0] if span[0] > c_start else c_start
                u_end = span[1] if span[1] < c_end else c_end
                if u_start < u_end:
                    used.append((u_start, u_end))
                    used_part = u_end - u_start
            if status == no_show:
                no_show_part = c_end - c_start
                no_shows += starts_in_period
            elif status == completed_status:
                completed += starts_in_period
        elif status == cancelled and late:
            late_part = c_end - c_start
            late_cancels += starts_in_period
        else:
            continue
        no_show_seconds += no_show_part
        late_cancelled_seconds += late_part
        booked_lost_seconds += lost_part
        used_seconds += used_part
        tally = by_pair[project_id, user_id]
        tally[BOOKED] += booked_part
        tally[LOST] += lost_part
        tally[USED] += used_part
        tally[NO_SHOW] += no_show_part
        tally[LATE] += late_part
    used.sort()
    return BookingUsage(
        booked,
        used,
        no_show_seconds,
        late_cancelled_seconds,
        booked_lost_seconds,
        used_seconds,
        completed,
        no_shows,
        late_cancels,
    )
