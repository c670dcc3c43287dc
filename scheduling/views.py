"""Portal views and the iCalendar feed of the scheduling app."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views import View
from icalendar import Calendar

from accounts.models import User


class CalendarFeedView(View):
    """The user's secret iCalendar (RFC 5545) feed; the secret in the URL is the credential."""

    def get(self, request: HttpRequest, secret: str) -> HttpResponse:
        user = User.objects.filter(calendar_secret=secret, is_active=True).first()
        if user is None:
            raise Http404
        calendar = Calendar()
        calendar.add("prodid", "-//Quantum Facility Records//EN")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", f"Bookings of {user.display_name}")
        response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="bookings.ics"'
        return response
