"""Portal views and the iCalendar feed of the scheduling app."""

from __future__ import annotations

import datetime

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views import View
from icalendar import Calendar, Event

from accounts.models import User
from scheduling.choices import BookingStatus
from scheduling.models import Allocation, Booking, MaintenanceWindow

FEED_PAST = datetime.timedelta(days=90)  # how far back the feed reaches (calendar apps re-poll it)
UID_DOMAIN = "qfr.invalid"

ICAL_STATUS = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.COMPLETED: "CONFIRMED",
    BookingStatus.NO_SHOW: "CONFIRMED",
    BookingStatus.CANCELLED: "CANCELLED",
}


def _booking_event(booking: Booking) -> Event:
    event = Event()
    event.add("uid", f"booking-{booking.pk}@{UID_DOMAIN}")
    event.add("dtstamp", booking.updated_at)
    event.add("last-modified", booking.updated_at)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", f"{booking.backend.display_name}: {booking.project.code}")
    event.add("status", ICAL_STATUS[BookingStatus(booking.status)])
    event.add("location", booking.backend.site.name)
    description = booking.purpose or ""
    if booking.status == BookingStatus.CANCELLED:
        description = f"{description}\n{booking.get_cancel_reason_display()}".strip()
    if description:
        event.add("description", description)
    return event


def _maintenance_event(window: MaintenanceWindow) -> Event:
    event = Event()
    event.add("uid", f"maintenance-{window.pk}@{UID_DOMAIN}")
    event.add("dtstamp", window.created_at)
    event.add("dtstart", window.starts_at)
    event.add("dtend", window.ends_at)
    event.add("summary", f"{window.backend.display_name}: {window.title} ({window.get_kind_display()})")
    event.add("status", "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    event.add("categories", ["MAINTENANCE"])
    if window.notes:
        event.add("description", window.notes)
    return event


def calendar_feed(user: User, *, now: datetime.datetime | None = None) -> bytes:
    """The user's bookings and the maintenance windows of the backends their projects use, as RFC 5545."""
    since = (now or timezone.now()) - FEED_PAST
    calendar = Calendar()
    calendar.add("prodid", "-//Quantum Facility Records//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Bookings of {user.display_name}")
    bookings = (
        Booking.objects.filter(user=user, ends_at__gte=since)
        .select_related("backend", "backend__site", "project")
        .order_by("starts_at", "pk")
    )
    for booking in bookings:
        calendar.add_component(_booking_event(booking))
    project_ids = user.memberships.values("project_id")
    backend_ids = set(Allocation.objects.filter(project__in=project_ids).values_list("backend_id", flat=True))
    backend_ids |= set(Booking.objects.filter(project__in=project_ids).values_list("backend_id", flat=True).distinct())
    windows = (
        MaintenanceWindow.objects.filter(ends_at__gte=since, backend__in=backend_ids)
        .select_related("backend")
        .order_by("starts_at", "pk")
    )
    for window in windows:
        calendar.add_component(_maintenance_event(window))
    return bytes(calendar.to_ical())


class CalendarFeedView(View):
    """The user's secret iCalendar (RFC 5545) feed; the secret in the URL is the credential."""

    def get(self, request: HttpRequest, secret: str) -> HttpResponse:
        user = User.objects.filter(calendar_secret=secret, is_active=True).first()
        if user is None:
            raise Http404
        response = HttpResponse(calendar_feed(user), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="bookings.ics"'
        response["Cache-Control"] = "private, max-age=300"
        return response
