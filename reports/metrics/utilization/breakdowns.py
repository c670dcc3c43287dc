"""The utilization report's totals and breakdowns: by project, institution, user and local day; calibrations."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from reports.metrics import intervals as iv
from reports.metrics.numbers import hours_str, num, ratio
from reports.metrics.utilization.states import Period
from reports.metrics.utilization.tally import BOOKED, EXEC, FAILED, JOBS, SHOTS, _add, _shaped, _tally
from reports.metrics.utilization.usage import BookingUsage
from scheduling.models import Allocation, Backend, CalibrationRecord, Project

TOP_USERS = 10


def _totals(
    *,
    period_seconds: float,
    states: dict[str, float],
    usage: BookingUsage,
    total: list[float],
    waits: tuple[float | None, float | None],
    outage_spans: list[iv.Interval],
    bounds: iv.Interval,
) -> dict[str, Any]:
    """The report's totals: seconds per state, ratios, job counts, wait percentiles, MTBF and MTTR."""
    unplanned_s, planned_s, booked_s, idle_s = (states[k] for k in ("unplanned", "planned", "booked", "idle"))
    available_s = period_seconds - unplanned_s - planned_s
    started_outages = [(s, e) for s, e in outage_spans if bounds[0] <= s < bounds[1]]
    outage_count = len(started_outages)
    return {
        "period_seconds": num(period_seconds),
        "unplanned_down_seconds": num(unplanned_s),
        "planned_down_seconds": num(planned_s),
        "available_seconds": num(available_s),
        "booked_seconds": num(booked_s),
        "idle_seconds": num(idle_s),
        "booked_lost_seconds": num(usage.booked_lost_seconds),
        "used_seconds": num(usage.used_seconds),
        "exec_seconds": num(total[EXEC]),
        "no_show_seconds": num(usage.no_show_seconds),
        "late_cancelled_seconds": num(usage.late_cancelled_seconds),
        "availability": ratio(available_s, period_seconds),
        "utilization": ratio(booked_s, available_s),
        "utilization_offered": ratio(booked_s, period_seconds),
        "booking_efficiency": ratio(usage.used_seconds, booked_s),
        "no_show_rate": ratio(usage.no_shows, usage.completed + usage.no_shows + usage.late_cancels),
        "jobs": int(total[JOBS]),
        "jobs_failed": int(total[FAILED]),
        "shots": int(total[SHOTS]),
        "wait_seconds_p50": num(waits[0]),
        "wait_seconds_p95": num(waits[1]),
        "outages": outage_count,
        "mtbf_seconds": num(available_s / outage_count) if outage_count else None,
        "mttr_seconds": num(sum(iv.seconds(o) for o in started_outages) / outage_count) if outage_count else None,
    }


def _project_rows(
    backend: Backend, start: dt.date, end: dt.date, by_project: dict[int, list[float]], booked_s: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows per project (with allocation hours) and per institution (with its share of the booked time)."""
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
    return project_rows, institution_rows


def _user_rows(by_user: dict[int, list[float]]) -> list[dict[str, Any]]:
    """The top users by QPU seconds, and the rest in one row."""
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
    return user_rows


def _daily(
    day_list: list[dt.date],
    boundaries: list[float],
    intervals_by_state: dict[str, list[iv.Interval]],
    exec_by_day: list[float],
) -> list[dict[str, Any]]:
    """The daily series: each state's seconds per local day."""
    per_day = {name: iv.split_by(intervals, boundaries) for name, intervals in intervals_by_state.items()}
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
    return daily


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
