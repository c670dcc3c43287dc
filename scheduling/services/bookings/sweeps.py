"""The periodic jobs on bookings: settling ended ones, and reminders."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from scheduling.choices import BookingStatus, CancelReason, JobErrorCode
from scheduling.models import Booking, Job
from scheduling.services.bookings.create import ZERO
from scheduling.services.jobs import job_cancel_for_bookings
from scheduling.services.notifications import booking_notify

REMINDER_LEAD = datetime.timedelta(hours=24)


@transaction.atomic
def booking_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Settle ended bookings: `completed` if a job ran in it, else `no_show`; pending ones never approved are
    cancelled as rejected (refunded); the queued and running jobs of ended bookings are cancelled (`booking_ended`).
    Idempotent."""
    now = now or timezone.now()
    ended = Booking.objects.filter(status=BookingStatus.CONFIRMED, ends_at__lte=now)
    job_cancel_for_bookings(bookings=ended.values_list("pk", flat=True), code=JobErrorCode.BOOKING_ENDED, now=now)
    ran = Job.objects.filter(booking=OuterRef("pk"), started_at__isnull=False)
    completed = ended.filter(Exists(ran)).update(status=BookingStatus.COMPLETED, updated_at=now)
    no_show = ended.update(status=BookingStatus.NO_SHOW, updated_at=now)
    expired = Booking.objects.filter(status=BookingStatus.PENDING, ends_at__lte=now).update(
        status=BookingStatus.CANCELLED,
        cancelled_at=now,
        cancel_reason=CancelReason.REJECTED,
        charged_hours=ZERO,
        updated_at=now,
    )
    return {"completed": completed, "no_show": no_show, "expired": expired}


def booking_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """E-mail a reminder for each confirmed booking starting within 24 h, once (`reminder_sent_at` claims it)."""
    now = now or timezone.now()
    due = Booking.objects.filter(
        status=BookingStatus.CONFIRMED,
        reminder_sent_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + REMINDER_LEAD,
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(due):
        # Compare-and-set: a second sweeper running at the same time claims nothing.
        if Booking.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now):
            sent += booking_notify(booking_id=pk, kind="reminder")
    return sent
