"""Template tags of the admin pages: the count of bookings awaiting approval on the admin index."""

from __future__ import annotations

from typing import Any

from django import template

from scheduling.choices import BookingStatus
from scheduling.models import Booking

register = template.Library()


@register.simple_tag
def pending_bookings_count(user: Any) -> int | None:
    """How many bookings await approval; None for a user who may not see everyone's bookings."""
    if not (user.is_active and user.is_staff and user.has_perm("scheduling.view_booking")):
        return None
    return Booking.objects.filter(status=BookingStatus.PENDING).count()
