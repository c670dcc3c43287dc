"""The states of a backend over the period, by precedence: unplanned down > planned down > booked > idle."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from django.db.models import Q, QuerySet

from reports.metrics import intervals as iv
from reports.metrics.sql import Epoch, fetch_rows, roomy_work_mem
from scheduling.models import Backend, Booking, MaintenanceWindow, Outage

Period = tuple[dt.datetime, dt.datetime]


class Downtime(NamedTuple):
    """Outage spans as read (for MTBF and MTTR), and the merged unplanned, planned and combined downtime."""

    outage_spans: list[iv.Interval]
    unplanned: list[iv.Interval]
    planned: list[iv.Interval]
    down: iv.Holes


def _overlapping(queryset: QuerySet[Any], period: Period, *, open_end: bool = False) -> QuerySet[Any]:
    ends = Q(ends_at__gt=period[0]) | Q(ends_at__isnull=True) if open_end else Q(ends_at__gt=period[0])
    return queryset.filter(ends, starts_at__lt=period[1])


def _downtime(backend: Backend, period: Period, bounds: iv.Interval, now: dt.datetime) -> Downtime:
    """Outages (unplanned) and maintenance windows (planned, minus what an outage already covers)."""
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
    return Downtime(outage_spans, unplanned, planned, down)


def _booking_rows(backend: Backend, period: Period) -> list[tuple[Any, ...]]:
    """The bookings overlapping the period, as (pk, project, user, start, end, status, late) rows in start order."""
    booking_rows = (
        _overlapping(Booking.objects.filter(backend=backend), period)
        .annotate(s=Epoch("starts_at"), e=Epoch("ends_at"))
        .order_by("starts_at", "pk")
        .values_list("pk", "project_id", "user_id", "s", "e", "status", "late_cancellation")
    )
    with roomy_work_mem():  # sorting a year of bookings spills past the 4 MB default
        return fetch_rows(booking_rows)
