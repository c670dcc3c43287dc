"""E-mails about bookings, rendered from templates in the recipient's language and time zone."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.queue import delay_after_commit
from scheduling.models import Booking

logger = logging.getLogger(__name__)

# kind -> template stem under templates/scheduling/emails/
BOOKING_EMAILS = (
    "confirmed",
    "pending",
    "approved",
    "rejected",
    "cancelled_maintenance",
    "reminder",
    "waitlist_booked",
)


def booking_notify(*, booking_id: int, kind: str) -> bool:
    """Send the booking e-mail of `kind` to the booking's user; False when there is nobody to write to."""
    if kind not in BOOKING_EMAILS:
        raise ValueError(kind)
    booking = (
        Booking.objects.select_related("backend", "backend__site", "project", "user").filter(pk=booking_id).first()
    )
    if booking is None or not booking.user.email:
        return False
    user = booking.user
    context: dict[str, Any] = {"booking": booking, "user": user, "backend": booking.backend, "project": booking.project}
    with translation.override(user.language or settings.LANGUAGE_CODE), timezone.override(ZoneInfo(user.time_zone)):
        subject = " ".join(render_to_string(f"scheduling/emails/booking_{kind}_subject.txt", context).split())
        body = render_to_string(f"scheduling/emails/booking_{kind}.txt", context)
    send_mail(subject, body, None, [user.email])
    return True


def booking_notify_on_commit(booking_id: int, kind: str) -> None:
    """Queue the e-mail once the transaction that changed the booking commits (a lost e-mail is only logged)."""
    delay_after_commit(
        "scheduling.tasks.booking_notify_task",
        booking_id,
        kind,
        refused=f"could not queue the {kind} e-mail of booking {booking_id}: the broker is unreachable",
    )
