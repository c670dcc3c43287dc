"""Cancelling a booking, and the preview of what a cancellation would refund."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from scheduling.choices import ACTIVE_BOOKING_STATUSES, BookingStatus, CancelReason, JobErrorCode, MembershipRole
from scheduling.models import Booking, BookingPolicy, Membership
from scheduling.selectors.common import hours_str
from scheduling.services.bookings.create import ZERO
from scheduling.services.jobs import job_cancel_for_bookings


@dataclass(frozen=True)
class CancellationPreview:
    """What cancelling a booking now would do: whether it may be cancelled, and what is refunded or kept."""

    cancellable: bool
    late: bool
    refund_hours: Decimal
    kept_hours: Decimal
    free_until: datetime.datetime

    def as_dict(self) -> dict[str, Any]:
        from scheduling.selectors.common import iso_z

        return {
            "cancellable": self.cancellable,
            "late_cancellation": self.late,
            "refund_hours": hours_str(self.refund_hours),
            "kept_hours": hours_str(self.kept_hours),
            "free_cancellation_until": iso_z(self.free_until),
        }


def booking_cancel_preview(*, booking: Booking, now: datetime.datetime | None = None) -> CancellationPreview:
    """What `booking_cancel` would refund now: everything before the free-cancellation cutoff (and for pending
    requests), nothing after it (a late cancellation)."""
    now = now or timezone.now()
    policy = getattr(booking.backend, "policy", None) or BookingPolicy(backend=booking.backend)
    free_until = booking.starts_at - datetime.timedelta(hours=policy.free_cancel_hours)
    cancellable = booking.status in ACTIVE_BOOKING_STATUSES and booking.ends_at > now
    if not cancellable:
        return CancellationPreview(False, False, ZERO, booking.charged_hours, free_until)
    late = booking.status == BookingStatus.CONFIRMED and now > free_until
    refund = ZERO if late else booking.charged_hours
    return CancellationPreview(True, late, refund, booking.charged_hours - refund, free_until)


def _lock_booking(booking: Booking) -> Booking:
    return (
        Booking.objects.select_related("backend", "backend__policy", "project")
        .select_for_update(of=("self",))
        .get(pk=booking.pk)
    )


def _not_cancellable(booking: Booking) -> DomainError:
    return DomainError(
        _("This booking is past, finished or already cancelled."), code="not_cancellable", status=booking.status
    )


@transaction.atomic
def booking_cancel(
    *, booking: Booking, by: User, reason: str = CancelReason.USER, now: datetime.datetime | None = None
) -> Booking:
    """Cancel a pending or confirmed booking that has not ended, refunding per `booking_cancel_preview`.

    The booking's user, the project's PI and staff may cancel. Its queued jobs are cancelled and its running one
    stopped (`booking_cancelled`), under the booking's row lock that job submission takes too.
    """
    now = now or timezone.now()
    booking = _lock_booking(booking)
    is_pi = Membership.objects.filter(project=booking.project_id, user=by, role=MembershipRole.PI).exists()
    if not (by.pk == booking.user_id or by.is_staff or is_pi):
        raise PermissionDenied(_("Only the booking's user, the project's PI or staff may cancel it."))
    if reason not in (CancelReason.USER, CancelReason.MAINTENANCE) or (
        reason == CancelReason.MAINTENANCE and not by.is_staff
    ):
        raise ValidationError({"reason": [_("Give user (or, staff only, maintenance).")]})
    preview = booking_cancel_preview(booking=booking, now=now)
    if not preview.cancellable:
        raise _not_cancellable(booking)
    if reason == CancelReason.MAINTENANCE:  # the facility's fault: always refunded
        preview = CancellationPreview(True, False, booking.charged_hours, ZERO, preview.free_until)
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancel_reason = reason
    booking.late_cancellation = preview.late
    booking.charged_hours = preview.kept_hours
    booking.full_clean()
    booking.save(
        update_fields=["status", "cancelled_at", "cancel_reason", "late_cancellation", "charged_hours", "updated_at"]
    )
    job_cancel_for_bookings(bookings=[booking.pk], code=JobErrorCode.BOOKING_CANCELLED, now=now)
    return booking
