"""The booking form's check step: run the booking services as a dry run, so every rule is their rules."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from scheduling.choices import BookingStatus
from scheduling.models import Backend, Project
from scheduling.services.bookings import booking_cancel_preview, booking_create, booking_series_create


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


@dataclass(frozen=True)
class OccurrencePreview:
    """One occurrence of a series: booked (confirmed or pending) or skipped, with the rule that skipped it."""

    starts_at: datetime.datetime
    ends_at: datetime.datetime
    booked: bool
    needs_approval: bool = False
    hours: Decimal = Decimal("0")
    code: str = ""
    detail: str = ""


@dataclass(frozen=True)
class SeriesPreview:
    """What booking the series would do, occurrence by occurrence, and the hours it would charge in all."""

    occurrences: list[OccurrencePreview] = field(default_factory=list)

    @property
    def booked(self) -> list[OccurrencePreview]:
        return [o for o in self.occurrences if o.booked]

    @property
    def skipped(self) -> list[OccurrencePreview]:
        return [o for o in self.occurrences if not o.booked]

    @property
    def hours(self) -> Decimal:
        return sum((o.hours for o in self.booked), Decimal("0"))


def booking_series_preview(
    *,
    user: User,
    backend: Backend,
    project: Project,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    freq: str,
    count: int | None,
    until: datetime.date | None,
    purpose: str = "",
) -> SeriesPreview:
    """Check a series with `booking_series_create` itself (each occurrence sees the ones before it, as it will),
    then roll it back: nothing is saved and no e-mail is sent. Its DomainErrors and ValidationErrors pass
    through."""
    preview: SeriesPreview | None = None
    try:
        with transaction.atomic():
            result = booking_series_create(
                backend=backend,
                project=project,
                user=user,
                starts_at=starts_at,
                ends_at=ends_at,
                freq=freq,
                count=count,
                until=until,
                purpose=purpose,
            )
            occurrences = [
                OccurrencePreview(
                    starts_at=b.starts_at,
                    ends_at=b.ends_at,
                    booked=True,
                    needs_approval=b.status == BookingStatus.PENDING,
                    hours=b.charged_hours,
                )
                for b in result.created
            ]
            occurrences += [
                OccurrencePreview(
                    starts_at=s["start"], ends_at=s["end"], booked=False, code=s["code"], detail=str(s["detail"])
                )
                for s in result.skipped
            ]
            preview = SeriesPreview(sorted(occurrences, key=lambda o: o.starts_at))
            raise _RollBack
    except _RollBack:
        pass
    assert preview is not None
    return preview
