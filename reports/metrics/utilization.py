"""Utilization of one backend over `[start, end)` local days, exactly as DESIGN.md section 4 defines it.

Downtime, bookings and per-booking job spans are read as rows (tens of thousands at most) and handled as
merged interval lists in Python; jobs (millions) are only ever aggregated in the database, in one pass
(`reports.metrics.jobs`).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import User
from reports.metrics import intervals as iv
from reports.metrics import jobs, rollups
from reports.metrics.numbers import hours_str, num, ratio
from reports.metrics.sql import Epoch, fetch_rows, roomy_work_mem
from scheduling.choices import BOOKED_STATUSES, BookingStatus
from scheduling.models import Allocation, Backend, Booking, CalibrationRecord, Job, MaintenanceWindow, Outage, Project

ProgressFn = Callable[[int], None]
TOP_USERS = 10

SECONDS_FIELDS = (
    "booked_seconds",
    "used_seconds",
    "exec_seconds",
    "no_show_seconds",
    "late_cancelled_seconds",
    "booked_lost_seconds",
)
COUNT_FIELDS = ("jobs", "jobs_failed", "shots")
FIELDS = SECONDS_FIELDS + COUNT_FIELDS
# Positions in a tally (a plain list: this runs once per booking and per job group).
BOOKED, USED, EXEC, NO_SHOW, LATE, LOST, JOBS, FAILED, SHOTS = range(len(FIELDS))


def _tally() -> list[float]:
    return [0.0] * len(FIELDS)


def _add(into: list[float], other: list[float]) -> None:
    for n, value in enumerate(other):
        into[n] += value


def _shaped(tally: list[float]) -> dict[str, Any]:
    data: dict[str, Any] = {name: num(tally[n]) for n, name in enumerate(SECONDS_FIELDS)}
    data.update({name: int(tally[len(SECONDS_FIELDS) + n]) for n, name in enumerate(COUNT_FIELDS)})
    return data


Period = tuple[dt.datetime, dt.datetime]


def _overlapping(queryset: QuerySet[Any], period: Period, *, open_end: bool = False) -> QuerySet[Any]:
    ends = Q(ends_at__gt=period[0]) | Q(ends_at__isnull=True) if open_end else Q(ends_at__gt=period[0])
    return queryset.filter(ends, starts_at__lt=period[1])


def _calibration_series(backend: Backend, period: Period) -> list[dict[str, Any]]:
    """Mean fidelities of each calibration in the period (for the fidelity trend chart)."""

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 6) if values else None

    series = []
    records = CalibrationRecord.objects.filter(
        backend=backend, measured_at__gte=period[0], measured_at__lt=period[1]
    ).order_by("measured_at")
    for record in records.only("measured_at", "qubits", "couplers"):
        qubits = record.qubits if isinstance(record.qubits, list) else []
        couplers = record.couplers if isinstance(record.couplers, list) else []
        series.append(
            {
                "measured_at": record.measured_at.isoformat(),
                "prx_fidelity": mean([float(q["prx_fidelity"]) for q in qubits if "prx_fidelity" in q]),
                "readout_fidelity": mean([float(q["readout_fidelity"]) for q in qubits if "readout_fidelity" in q]),
                "cz_fidelity": mean([float(c["cz_fidelity"]) for c in couplers if "cz_fidelity" in c]),
            }
        )
    return series


def _crosses_midnight(start: float, end: float, boundaries: list[float]) -> bool:
    k = bisect.bisect_right(boundaries, start)
    return k < len(boundaries) and boundaries[k] < end


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

    # --- states, by precedence: unplanned down > planned down > booked > idle ---
    now_s = iv.epoch(now)
    outage_rows = _overlapping(Outage.objects.filter(backend=backend), period, open_end=True).values_list(
        "starts_at", "ends_at"
    )
    # An ongoing outage has lasted until now (never past the period; never before its own start).
    outage_spans = [
        (iv.epoch(s), iv.epoch(e) if e is not None else max(iv.epoch(s), min(now_s, bounds[1]))) for s, e in outage_rows
    ]
    unplanned = iv.merge(iv.clip_all(outage_spans, bounds))
    windows = _overlapping(MaintenanceWindow.objects.filter(backend=backend), period).values_list(
        "starts_at", "ends_at"
    )
    planned = iv.subtract(iv.merge(iv.clip_all(((iv.epoch(s), iv.epoch(e)) for s, e in windows), bounds)), unplanned)
    down = iv.Holes(iv.merge([*unplanned, *planned]))
    report_progress(10)

    booking_rows = (
        _overlapping(Booking.objects.filter(backend=backend), period)
        .annotate(s=Epoch("starts_at"), e=Epoch("ends_at"))
        .order_by("starts_at", "pk")
        .values_list("pk", "project_id", "user_id", "s", "e", "status", "late_cancellation")
    )
    with roomy_work_mem():  # sorting a year of bookings spills past the 4 MB default
        bookings = fetch_rows(booking_rows)
    report_progress(20)

    # --- jobs started in the period, per project and user and per booking, plus the wait histogram (from the
    # sealed days' rollups and the rest of the period; a per-job time zone conversion to group by local day
    # would cost as much again, so only bookings that cross a local midnight are split by day, below) ---
    period_jobs = Job.objects.filter(backend=backend, started_at__gte=period[0], started_at__lt=period[1])
    job_totals = jobs.job_totals(backend=backend, period=period)
    crossing = {b[0] for b in bookings if _crosses_midnight(b[3], b[4], boundaries)}
    # Tallied per project and user pair (one lookup per row), then folded into projects and users.
    by_pair: dict[tuple[int, int], list[float]] = defaultdict(_tally)
    exec_by_day = [0.0] * len(day_list)
    spans: dict[int, list[float]] = {}
    for project_id, user_id, n_jobs, n_failed, shot_sum, exec_sum in job_totals.pairs:
        tally = by_pair[project_id, user_id]
        tally[EXEC] += exec_sum
        tally[JOBS] += n_jobs
        tally[FAILED] += n_failed
        tally[SHOTS] += shot_sum
    last_day = len(day_list) - 1
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
    report_progress(60)

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
    by_project: dict[int, list[float]] = defaultdict(_tally)
    by_user: dict[int, list[float]] = defaultdict(_tally)
    for (project_id, user_id), tally in by_pair.items():
        _add(by_project[project_id], tally)
        _add(by_user[user_id], tally)
    used.sort()
    idle = iv.subtract(iv.subtract([bounds], down.holes), booked)
    report_progress(70)
    wait_p50, wait_p95 = jobs.histogram_percentiles(job_totals.wait_histogram, (0.5, 0.95))
    report_progress(85)

    # --- totals ---
    unplanned_s, planned_s, booked_s, idle_s = (iv.total(x) for x in (unplanned, planned, booked, idle))
    available_s = period_seconds - unplanned_s - planned_s
    total = _tally()
    for project_tally in by_project.values():
        _add(total, project_tally)
    started_outages = [(s, e) for s, e in outage_spans if bounds[0] <= s < bounds[1]]
    outage_count = len(started_outages)
    totals: dict[str, Any] = {
        "period_seconds": num(period_seconds),
        "unplanned_down_seconds": num(unplanned_s),
        "planned_down_seconds": num(planned_s),
        "available_seconds": num(available_s),
        "booked_seconds": num(booked_s),
        "idle_seconds": num(idle_s),
        "booked_lost_seconds": num(booked_lost_seconds),
        "used_seconds": num(used_seconds),
        "exec_seconds": num(total[EXEC]),
        "no_show_seconds": num(no_show_seconds),
        "late_cancelled_seconds": num(late_cancelled_seconds),
        "availability": ratio(available_s, period_seconds),
        "utilization": ratio(booked_s, available_s),
        "utilization_offered": ratio(booked_s, period_seconds),
        "booking_efficiency": ratio(used_seconds, booked_s),
        "no_show_rate": ratio(no_shows, completed + no_shows + late_cancels),
        "jobs": int(total[JOBS]),
        "jobs_failed": int(total[FAILED]),
        "shots": int(total[SHOTS]),
        "wait_seconds_p50": num(wait_p50),
        "wait_seconds_p95": num(wait_p95),
        "outages": outage_count,
        "mtbf_seconds": num(available_s / outage_count) if outage_count else None,
        "mttr_seconds": num(sum(iv.seconds(o) for o in started_outages) / outage_count) if outage_count else None,
    }
    state_sum = unplanned_s + planned_s + booked_s + idle_s

    # --- breakdowns ---
    projects = {
        p.pk: p
        for p in Project.objects.filter(
            pk__in=set(by_project) | _allocated_projects(backend, start, end)
        ).select_related("institution")
    }
    allocations = _allocations(backend, start, end)
    project_rows = []
    institutions: dict[str, list[float]] = defaultdict(_tally)
    for project in sorted(projects.values(), key=lambda p: p.code):
        tally = by_project[project.pk]
        granted, charged = allocations.get(project.pk, (Decimal(0), Decimal(0)))
        institution = str(project.institution)
        project_rows.append(
            {
                "project": project.code,
                "institution": institution,
                **_shaped(tally),
                "allocation_hours": hours_str(granted),
                "charged_hours": hours_str(charged),
                "remaining_hours": hours_str(granted - charged),
            }
        )
        _add(institutions[institution], tally)
    institution_rows = [
        {"institution": name, **_shaped(tally), "share": ratio(tally[BOOKED], booked_s)}
        for name, tally in sorted(institutions.items())
    ]

    ranked = sorted(by_user.items(), key=lambda item: (-item[1][EXEC], item[0]))
    users = {u.pk: u for u in User.objects.filter(pk__in=[pk for pk, _ in ranked[:TOP_USERS]])}
    user_rows: list[dict[str, Any]] = [
        {"user": users[pk].username, "name": users[pk].display_name, **_shaped(tally)}
        for pk, tally in ranked[:TOP_USERS]
    ]
    if len(ranked) > TOP_USERS:
        # The rest in one row, so that the breakdown still adds up to the totals.
        rest = _tally()
        for _pk, tally in ranked[TOP_USERS:]:
            _add(rest, tally)
        user_rows.append({"user": None, "name": f"{len(ranked) - TOP_USERS} other users", **_shaped(rest)})

    per_day = {
        name: iv.split_by(intervals, boundaries)
        for name, intervals in (
            ("unplanned", unplanned),
            ("planned", planned),
            ("booked", booked),
            ("idle", idle),
            ("used", used),
        )
    }
    daily = []
    for n, day in enumerate(day_list):
        day_period = boundaries[n + 1] - boundaries[n]
        day_available = day_period - per_day["unplanned"][n] - per_day["planned"][n]
        daily.append(
            {
                "date": day.isoformat(),
                "period_seconds": num(day_period),
                "unplanned_down_seconds": num(per_day["unplanned"][n]),
                "planned_down_seconds": num(per_day["planned"][n]),
                "available_seconds": num(day_available),
                "booked_seconds": num(per_day["booked"][n]),
                "idle_seconds": num(per_day["idle"][n]),
                "used_seconds": num(per_day["used"][n]),
                "exec_seconds": num(exec_by_day[n]),
                "utilization": ratio(per_day["booked"][n], day_available),
            }
        )
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


def _allocation_filter(backend: Backend, start: dt.date, end: dt.date) -> QuerySet[Allocation]:
    # Allocation dates are inclusive; the report's end date is exclusive.
    return Allocation.objects.filter(backend=backend, valid_from__lt=end, valid_until__gte=start)


def _allocated_projects(backend: Backend, start: dt.date, end: dt.date) -> set[int]:
    return set(_allocation_filter(backend, start, end).values_list("project_id", flat=True))


def _allocations(backend: Backend, start: dt.date, end: dt.date) -> dict[int, tuple[Decimal, Decimal]]:
    """Per project: hours granted by allocations valid in the period, and hours charged against them."""
    granted: dict[int, Decimal] = defaultdict(Decimal)
    charged: dict[int, Decimal] = defaultdict(Decimal)
    rows = (
        _allocation_filter(backend, start, end)
        .annotate(charged=Coalesce(Sum("bookings__charged_hours"), Decimal(0)))
        .values_list("project_id", "hours", "charged")
    )
    for project_id, hours, charged_hours in rows:
        granted[project_id] += Decimal(hours)
        charged[project_id] += Decimal(charged_hours)
    return {pk: (granted[pk], charged[pk]) for pk in granted}
