"""Approving and rejecting pending bookings (staff)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from scheduling.choices import BookingStatus, CancelReason, JobErrorCode
from scheduling.models import Booking
from scheduling.services.bookings.cancel import _lock_booking
from scheduling.services.bookings.create import ZERO
from scheduling.services.jobs import job_cancel_for_bookings
from scheduling.services.notifications import booking_notify_on_commit


def _require_approver(by: User) -> None:
    if not (by.is_staff and by.has_perm("scheduling.change_booking")):
        raise PermissionDenied(_("Only staff may approve or reject bookings."))


def _not_pending(booking: Booking) -> DomainError:
    return DomainError(
        _("Only pending bookings can be approved or rejected."),
        code="invalid_transition",
        status=booking.status,
        allowed=[],
    )


@transaction.atomic
def booking_approve(*, booking: Booking, by: User, now: datetime.datetime | None = None) -> Booking:
    """Confirm a pending booking (staff); its time was already held and charged."""
    now = now or timezone.now()
    _require_approver(by)
    booking = _lock_booking(booking)
    if booking.status != BookingStatus.PENDING:
        raise _not_pending(booking)
    booking.status = BookingStatus.CONFIRMED
    booking.approved_by, booking.approved_at = by, now
    booking.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    booking_notify_on_commit(booking.pk, "approved")
    return booking


@transaction.atomic
def booking_reject(*, booking: Booking, by: User, now: datetime.datetime | None = None) -> Booking:
    """Refuse a pending booking (staff): cancelled with reason `rejected`, fully refunded."""
    now = now or timezone.now()
    _require_approver(by)
    booking = _lock_booking(booking)
    if booking.status != BookingStatus.PENDING:
        raise _not_pending(booking)
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancel_reason = CancelReason.REJECTED
    booking.charged_hours = ZERO
    booking.approved_by, booking.approved_at = by, now
    booking.save(
        update_fields=[
            "status",
            "cancelled_at",
            "cancel_reason",
            "charged_hours",
            "approved_by",
            "approved_at",
            "updated_at",
        ]
    )
    job_cancel_for_bookings(bookings=[booking.pk], code=JobErrorCode.BOOKING_CANCELLED, now=now)
    booking_notify_on_commit(booking.pk, "rejected")
    return booking
