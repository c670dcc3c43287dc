"""Bookings: create (every rule of DESIGN.md 3.4), cancel with the refund rules, approve, reject, series,
the sweeper, the reminders
and the waitlist."""

from scheduling.services.bookings.approval import booking_approve, booking_reject
from scheduling.services.bookings.cancel import CancellationPreview, booking_cancel, booking_cancel_preview
from scheduling.services.bookings.create import booking_create
from scheduling.services.bookings.series import SeriesResult, booking_series_create, booking_series_occurrences
from scheduling.services.bookings.sweeps import booking_reminders_send, booking_sweep
from scheduling.services.bookings.waitlist import (
    waitlist_expire,
    waitlist_fill,
    waitlist_fill_cancelled,
    waitlist_join,
    waitlist_leave,
)

__all__ = [
    "CancellationPreview",
    "SeriesResult",
    "booking_approve",
    "booking_cancel",
    "booking_cancel_preview",
    "booking_create",
    "booking_reject",
    "booking_reminders_send",
    "booking_series_create",
    "booking_series_occurrences",
    "booking_sweep",
    "waitlist_expire",
    "waitlist_fill",
    "waitlist_fill_cancelled",
    "waitlist_join",
    "waitlist_leave",
]
