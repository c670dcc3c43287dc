"""Utilization of one backend over `[start, end)` local days, exactly as DESIGN.md section 4 defines it.

Downtime, bookings and per-booking job spans are read as rows (tens of thousands at most) and handled as
merged interval lists in Python; jobs (millions) are only ever aggregated in the database, in one pass
(`reports.metrics.jobs`).

The steps live in this package's modules: `states` (downtime and bookings as read), `usage` (what jobs and
bookings used), `breakdowns` (totals, the per project, institution, user and day rows) and `tally`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from reports.metrics import intervals as iv
from reports.metrics import jobs
from reports.metrics.numbers import num
from reports.metrics.utilization.breakdowns import (
    TOP_USERS,
    _calibration_series,
    _daily,
    _project_rows,
    _totals,
    _user_rows,
)
from reports.metrics.utilization.states import Period, _booking_rows, _downtime
from reports.metrics.utilization.tally import COUNT_FIELDS, FIELDS, SECONDS_FIELDS, _fold, _sum
from reports.metrics.utilization.usage import _booking_usage, _job_usage
from scheduling.models import Backend

__all__ = ["COUNT_FIELDS", "FIELDS", "SECONDS_FIELDS", "TOP_USERS", "Period", "ProgressFn", "compute"]

ProgressFn = Callable[[int], None]


def compute(
    *,
    backend: Backend,
    start: dt.date,
    end: dt.date,
    time_zone: str,
    progress: ProgressFn | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The utilization snapshot (API.md's `data`): totals, breakdowns and the daily series, in seconds."""
    report_progress = progress or (lambda _pct: None)
    tz = ZoneInfo(time_zone)
    now = now or timezone.now()
    period = iv.period_bounds(start, end, tz)
    bounds = (iv.epoch(period[0]), iv.epoch(period[1]))
    period_seconds = iv.seconds(bounds)
    day_list = list(iv.days(start, end))
    boundaries = [iv.epoch(iv.local_midnight(day, tz)) for day in [*day_list, end]]

    downtime = _downtime(backend, period, bounds, now)
    report_progress(10)
    bookings = _booking_rows(backend, period)
    report_progress(20)
    job_totals = jobs.job_totals(backend=backend, period=period)
    job_usage = _job_usage(backend, period, bounds, bookings, job_totals, start, tz, boundaries)
    report_progress(60)

    usage = _booking_usage(bookings, bounds, downtime.down, job_usage.spans, job_usage.by_pair)
    by_project, by_user = _fold(job_usage.by_pair)
    idle = iv.subtract(iv.subtract([bounds], downtime.down.holes), usage.booked)
    report_progress(70)
    waits = jobs.histogram_percentiles(job_totals.wait_histogram, (0.5, 0.95))
    report_progress(85)

    intervals_by_state = {
        "unplanned": downtime.unplanned,
        "planned": downtime.planned,
        "booked": usage.booked,
        "idle": idle,
        "used": usage.used,
    }
    states = {name: iv.total(intervals_by_state[name]) for name in ("unplanned", "planned", "booked", "idle")}
    totals = _totals(
        period_seconds=period_seconds,
        states=states,
        usage=usage,
        total=_sum(by_project.values()),
        waits=(waits[0], waits[1]),
        outage_spans=downtime.outage_spans,
        bounds=bounds,
    )
    state_sum = states["unplanned"] + states["planned"] + states["booked"] + states["idle"]
    project_rows, institution_rows = _project_rows(backend, start, end, by_project, states["booked"])
    user_rows = _user_rows(by_user)
    daily = _daily(day_list, boundaries, intervals_by_state, job_usage.exec_by_day)
    report_progress(95)

    return {
        "backend": backend.name,
        "backend_display_name": backend.display_name,
        "site": backend.site.name,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "time_zone": time_zone,
        "period_start": period[0].isoformat(),
        "period_end": period[1].isoformat(),
        "generated_at": now.isoformat(),
        "totals": totals,
        "invariant": {
            "period_seconds": num(period_seconds),
            "sum_seconds": num(state_sum),
            "holds": abs(period_seconds - state_sum) < 1e-6,
        },
        "by_project": project_rows,
        "by_institution": institution_rows,
        "by_user": user_rows,
        "daily": daily,
        "calibrations": _calibration_series(backend, period),
        "methods": {"wait_percentiles": jobs.WAIT_PERCENTILE_METHOD},
    }
