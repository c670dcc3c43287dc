"""E-mails about bookings, rendered from templates in the recipient's language and time zone."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from kombu.exceptions import OperationalError as BrokerUnavailable

from scheduling.models import Booking

logger = logging.getLogger(__name__)

# kind -> template stem under templates/scheduling/emails/
BOOKING_EMAILS = ("confirmed", "pending", "approved", "rejected", "cancelled_maintenance", "reminder")


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


def _publish(booking_id: int, kind: str) -> None:
    from scheduling.tasks import booking_notify_task  # the tasks module imports services

    try:
        booking_notify_task.delay(booking_id, kind)
    except BrokerUnavailable:  # only the broker's refusal: errors of an eagerly run task must still propagate
        # The booking is committed: a lost e-mail must not turn its success into an error response.
        logger.exception("could not queue the %s e-mail of booking %s: the broker is unreachable", kind, booking_id)


def booking_notify_on_commit(booking_id: int, kind: str) -> None:
    """Queue the e-mail once the transaction that changed the booking commits."""
    transaction.on_commit(partial(_publish, booking_id, kind))
