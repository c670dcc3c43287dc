"""Maintenance windows (cancel and refund the bookings they cover) and outages (credit lost time on close)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypedDict, Unpack

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from facility.models import WorkOrder
from scheduling.choices import ACTIVE_BOOKING_STATUSES, BookingStatus, CancelReason, JobErrorCode
from scheduling.models import Backend, Booking, MaintenanceWindow, Outage
from scheduling.selectors.bookings import booking_list_overlapping
from scheduling.selectors.common import hours_between
from scheduling.services.jobs import job_cancel_for_bookings, job_fail_for_outage
from scheduling.services.notifications import booking_notify_on_commit

ZERO = Decimal("0")
# Bookings whose time an outage can take away (and whose charge it credits back).
CREDITABLE_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


class MaintenanceWindowFields(TypedDict, total=False):
    """The fields `maintenance_window_create` and `maintenance_window_update` take."""

    backend: Backend
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    kind: str
    title: str
    notes: str
    work_order: WorkOrder | None


class OutageFields(TypedDict, total=False):
    """The fields `outage_create` and `outage_update` take; an end closes the outage."""

    backend: Backend
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    severity: str
    cause: str
    resolution: str
    work_order: WorkOrder | None


@dataclass
class MaintenanceResult:
    """A saved maintenance window and the bookings it cancelled."""

    window: MaintenanceWindow
    cancelled_bookings: list[int] = field(default_factory=list)


def maintenance_window_preview(
    *, backend: Backend, starts_at: datetime.datetime, ends_at: datetime.datetime
) -> list[Booking]:
    """The pending and confirmed bookings a window over `[starts_at, ends_at)` would cancel."""
    return list(booking_list_overlapping(backend=backend, starts_at=starts_at, ends_at=ends_at))


@transaction.atomic
def maintenance_window_save(
    *, window: MaintenanceWindow, by: User | None = None, now: datetime.datetime | None = None
) -> MaintenanceResult:
    """Save a new or changed window; in the same transaction cancel (reason `maintenance`), refund and e-mail
    every pending or confirmed booking it covers."""
    now = now or timezone.now()
    # Lock the backend row: no booking can slip into the window while it is being saved.
    Backend.objects.select_for_update().filter(pk=window.backend_id).first()
    if window.pk is None and by is not None:
        window.created_by = by
    window.full_clean()
    window.save()
    overlapping = Booking.objects.select_for_update().filter(
        backend=window.backend_id,
        status__in=ACTIVE_BOOKING_STATUSES,
        starts_at__lt=window.ends_at,
        ends_at__gt=window.starts_at,
    )
    cancelled = sorted(overlapping.values_list("pk", flat=True))
    if cancelled:
        Booking.objects.filter(pk__in=cancelled).update(
            status=BookingStatus.CANCELLED,
            cancelled_at=now,
            cancel_reason=CancelReason.MAINTENANCE,
            late_cancellation=False,
            charged_hours=ZERO,
            updated_at=now,
        )
        job_cancel_for_bookings(bookings=cancelled, code=JobErrorCode.BOOKING_CANCELLED, now=now)
        for pk in cancelled:
            booking_notify_on_commit(pk, "cancelled_maintenance")
    return MaintenanceResult(window=window, cancelled_bookings=cancelled)


def maintenance_window_create(
    *, by: User | None = None, **fields: Unpack[MaintenanceWindowFields]
) -> MaintenanceResult:
    """Create a maintenance window; the bookings it covers are cancelled (`maintenance_window_save`)."""
    return maintenance_window_save(window=MaintenanceWindow(**fields), by=by)


def maintenance_window_update(
    *, window: MaintenanceWindow, by: User | None = None, **fields: Unpack[MaintenanceWindowFields]
) -> MaintenanceResult:
    """Change a window (extending it over bookings cancels them)."""
    for key, value in fields.items():
        setattr(window, key, value)
    return maintenance_window_save(window=window, by=by)


@transaction.atomic
def outage_credit(*, outage: Outage, now: datetime.datetime | None = None) -> list[int]:
    """Credit back the booked time a closed outage took, once per outage (`credited_at` is claimed first).

    Each overlapping booking gets the overlap's hours (at most what it still holds) moved from
    `charged_hours` to `credited_hours`. Returns the ids of the credited bookings.
    """
    now = now or timezone.now()
    if outage.ends_at is None:
        return []
    claimed = Outage.objects.filter(pk=outage.pk, credited_at__isnull=True, ends_at__isnull=False).update(
        credited_at=now
    )
    if not claimed:
        return []
    outage.credited_at = now
    credited: list[int] = []
    bookings = Booking.objects.select_for_update().filter(
        backend=outage.backend_id,
        status__in=CREDITABLE_STATUSES,
        starts_at__lt=outage.ends_at,
        ends_at__gt=outage.starts_at,
        charged_hours__gt=0,
    )
    for booking in bookings:
        lost = hours_between(max(booking.starts_at, outage.starts_at), min(booking.ends_at, outage.ends_at))
        credit = min(lost, booking.charged_hours)
        if credit <= 0:
            continue
        booking.charged_hours -= credit
        booking.credited_hours += credit
        booking.save(update_fields=["charged_hours", "credited_hours", "updated_at"])
        credited.append(booking.pk)
    return credited


@transaction.atomic
def outage_save(*, outage: Outage, now: datetime.datetime | None = None) -> Outage:
    """Save a new or changed outage; closing it (an end is set) credits the booked time it took. While it is
    ongoing the backend's running job is failed (`outage`) and queued jobs are held."""
    outage.full_clean()
    outage.save()
    moment = now or timezone.now()
    if outage.starts_at <= moment and (outage.ends_at is None or outage.ends_at > moment):
        job_fail_for_outage(backend=outage.backend, now=moment)
    if outage.ends_at is not None and outage.credited_at is None:
        outage_credit(outage=outage, now=now)
    return outage


def outage_create(**fields: Unpack[OutageFields]) -> Outage:
    """Record an outage (ongoing while it has no end)."""
    return outage_save(outage=Outage(**fields))


def outage_update(*, outage: Outage, **fields: Unpack[OutageFields]) -> Outage:
    """Change an outage; setting its end closes it and credits lost booked time."""
    for key, value in fields.items():
        setattr(outage, key, value)
    return outage_save(outage=outage)
