"""Busy and free time of a backend (four queries however many rows there are)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from scheduling.choices import ACTIVE_BOOKING_STATUSES
from scheduling.models import Backend, Booking, BookingPolicy, MaintenanceWindow, Membership, Outage
from scheduling.selectors.common import OUTAGE_LOOKAHEAD, iso_z, slot_ceil, slot_floor

MAX_AVAILABILITY_DAYS = 31

Interval = tuple[datetime.datetime, datetime.datetime]


@dataclass
class Availability:
    """Busy intervals (with their kind) and bookable free intervals of a backend in `[start, end)`."""

    backend: Backend
    start: datetime.datetime
    end: datetime.datetime
    busy: list[dict[str, Any]] = field(default_factory=list)
    free: list[Interval] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend.pk,
            "start": iso_z(self.start),
            "end": iso_z(self.end),
            "busy": [{**item, "start": iso_z(item["start"]), "end": iso_z(item["end"])} for item in self.busy],
            "free": [{"start": iso_z(s), "end": iso_z(e)} for s, e in self.free],
        }


def _subtract(window: Interval, blocked: list[Interval]) -> list[Interval]:
    """`window` minus the union of `blocked`, as sorted disjoint intervals."""
    free: list[Interval] = []
    cursor, stop = window
    for b_start, b_end in sorted(blocked):
        if b_end <= cursor:
            continue
        if b_start >= stop:
            break
        if b_start > cursor:
            free.append((cursor, b_start))
        cursor = max(cursor, b_end)
        if cursor >= stop:
            break
    if cursor < stop:
        free.append((cursor, stop))
    return free


def backend_availability_get(
    *,
    backend: Backend,
    start: datetime.datetime,
    end: datetime.datetime,
    viewer: User,
    now: datetime.datetime | None = None,
) -> Availability:
    """What holds the backend in `[start, end)` and which slot-aligned intervals can still be booked.

    Project codes are shown only for the viewer's own projects (all of them for staff).
    """
    if end <= start:
        raise ValidationError({"end": [_("The end must be after the start.")]})
    if end - start > datetime.timedelta(days=MAX_AVAILABILITY_DAYS):
        raise ValidationError({"end": [_("Ask for at most %(days)d days.") % {"days": MAX_AVAILABILITY_DAYS}]})
    now = now or timezone.now()
    policy = getattr(backend, "policy", None) or BookingPolicy(backend=backend)
    own_projects = (
        None
        if viewer.is_staff and viewer.has_perm("scheduling.view_booking")
        else set(Membership.objects.filter(user=viewer).values_list("project_id", flat=True))
    )
    result = Availability(backend=backend, start=start, end=end)
    blocked: list[Interval] = []
    bookings = (
        Booking.objects.filter(
            backend=backend, status__in=ACTIVE_BOOKING_STATUSES, starts_at__lt=end, ends_at__gt=start
        )
        .values_list("starts_at", "ends_at", "project_id", "project__code")
        .order_by("starts_at")
    )
    for b_start, b_end, project_id, code in bookings:
        item: dict[str, Any] = {"start": b_start, "end": b_end, "kind": "booking"}
        if own_projects is None or project_id in own_projects:
            item["project"] = code
        result.busy.append(item)
        blocked.append((b_start, b_end))
    windows = MaintenanceWindow.objects.filter(backend=backend, starts_at__lt=end, ends_at__gt=start).values_list(
        "starts_at", "ends_at", "title"
    )
    for w_start, w_end, title in windows:
        result.busy.append({"start": w_start, "end": w_end, "kind": "maintenance", "title": title})
        blocked.append((w_start, w_end))
    outages = Outage.objects.filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=start), backend=backend, starts_at__lt=end
    ).values_list("starts_at", "ends_at")
    for o_start, o_end in outages:
        result.busy.append({"start": o_start, "end": o_end, "kind": "outage"})
        blocked.append((o_start, o_end if o_end is not None else max(o_start, now + OUTAGE_LOOKAHEAD)))
    result.busy.sort(key=lambda item: item["start"])
    bookable_from = max(start, slot_floor(now, policy.slot_minutes))
    bookable_until = min(end, now + datetime.timedelta(days=policy.horizon_days))
    if bookable_from < bookable_until:
        for f_start, f_end in _subtract((bookable_from, bookable_until), blocked):
            aligned_start = slot_ceil(f_start, policy.slot_minutes)
            aligned_end = slot_floor(f_end, policy.slot_minutes)
            if aligned_end - aligned_start >= datetime.timedelta(minutes=policy.min_minutes):
                result.free.append((aligned_start, aligned_end))
    return result
