"""E-mails about bookings, rendered from templates in the recipient's language and time zone."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import User
from core.queue import delay_after_commit
from scheduling.models import Booking
from scheduling.selectors.bookings import booking_approver_list

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
# kind -> e-mailed to the staff who may approve bookings, not to the booking's user
STAFF_EMAILS = ("approval_requested",)


def _send(kind: str, booking: Booking, recipient: User) -> None:
    """One e-mail, rendered in the recipient's language and time zone."""
    context: dict[str, Any] = {
        "booking": booking,
        "user": recipient,
        "owner": booking.user,
        "backend": booking.backend,
        "project": booking.project,
    }
    zone = ZoneInfo(recipient.time_zone)
    with translation.override(recipient.language or settings.LANGUAGE_CODE), timezone.override(zone):
        subject = " ".join(render_to_string(f"scheduling/emails/booking_{kind}_subject.txt", context).split())
        body = render_to_string(f"scheduling/emails/booking_{kind}.txt", context)
    send_mail(subject, body, None, [recipient.email])


def booking_notify(*, booking_id: int, kind: str) -> bool:
    """Send the booking e-mail of `kind` to the booking's user (or, for a staff e-mail, to every active staff
    user who may approve bookings); False when there is nobody to write to."""
    if kind not in BOOKING_EMAILS + STAFF_EMAILS:
        raise ValueError(kind)
    booking = (
        Booking.objects.select_related("backend", "backend__site", "project", "user").filter(pk=booking_id).first()
    )
    if booking is None:
        return False
    owner = [booking.user] if booking.user.email else []
    recipients = list(booking_approver_list()) if kind in STAFF_EMAILS else owner
    for recipient in recipients:
        _send(kind, booking, recipient)
    return bool(recipients)


def booking_notify_on_commit(booking_id: int, kind: str) -> None:
    """Queue the e-mail once the transaction that changed the booking commits (a lost e-mail is only logged)."""
    delay_after_commit(
        "scheduling.tasks.booking_notify_task",
        booking_id,
        kind,
        refused=f"could not queue the {kind} e-mail of booking {booking_id}: the broker is unreachable",
    )
