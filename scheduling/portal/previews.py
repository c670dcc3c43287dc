"""The booking form's preview step: run the booking service as a dry run, so every rule is its rules."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from scheduling.choices import BookingStatus
from scheduling.models import Backend, Project
from scheduling.services.bookings import booking_cancel_preview, booking_create


class _RollBack(Exception):
    """Raised inside the dry run's transaction so nothing it wrote is kept."""


@dataclass(frozen=True)
class BookingPreview:
    """What booking this slot would do: hours charged, approval, the free-cancellation deadline."""

    starts_at: datetime.datetime
    ends_at: datetime.datetime
    hours: Decimal
    needs_approval: bool
    free_cancel_until: datetime.datetime
    remaining_after: Decimal | None


def booking_preview(
    *,
    user: User,
    backend: Backend,
    project: Project,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    purpose: str = "",
) -> BookingPreview:
    """Check a booking with `booking_create` itself, then roll it back; its DomainErrors pass through."""
    preview: BookingPreview | None = None
    try:
        with transaction.atomic():
            booking = booking_create(
                backend=backend,
                project=project,
                user=user,
                starts_at=starts_at,
                ends_at=ends_at,
                purpose=purpose,
                notify=False,
            )
            remaining = getattr(booking.allocation, "remaining_hours", None)
            preview = BookingPreview(
                starts_at=booking.starts_at,
                ends_at=booking.ends_at,
                hours=booking.charged_hours,
                needs_approval=booking.status == BookingStatus.PENDING,
                free_cancel_until=booking_cancel_preview(booking=booking).free_until,
                remaining_after=None if remaining is None else remaining - booking.charged_hours,
            )
            raise _RollBack
    except _RollBack:
        pass
    assert preview is not None
    return preview
