"""The secret iCalendar feed: valid RFC 5545, stable UIDs, cancellations, maintenance of the user's backends."""

import pytest
from icalendar import Calendar

from scheduling.services import booking_cancel, maintenance_window_create
from tests.support import at, book

pytestmark = pytest.mark.usefixtures("now")


def feed(client, user):
    response = client.get(f"/calendar/{user.calendar_secret}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def test_feed_lists_bookings_and_maintenance(client, researcher, backend, project, make_backend):
    kept = book(backend, project, researcher, at(30), at(31))
    dropped = book(backend, project, researcher, at(40), at(41))
    booking_cancel(booking=dropped, by=researcher)
    window = maintenance_window_create(
        backend=backend, starts_at=at(50), ends_at=at(52), title="Cal", kind="calibration"
    )
    unrelated = make_backend(name="elsewhere")
    maintenance_window_create(backend=unrelated, starts_at=at(50), ends_at=at(52), title="Other", kind="other")
    calendar = feed(client, researcher)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {
        f"booking-{kept.pk}@qfr.invalid",
        f"booking-{dropped.pk}@qfr.invalid",
        f"maintenance-{window.window.pk}@qfr.invalid",
    }
    assert str(events[f"booking-{dropped.pk}@qfr.invalid"]["STATUS"]) == "CANCELLED"
    assert str(events[f"booking-{kept.pk}@qfr.invalid"]["STATUS"]) == "CONFIRMED"
    assert events[f"booking-{kept.pk}@qfr.invalid"].decoded("DTSTART") == at(30)
    for event in events.values():
        assert "DTSTAMP" in event
    assert set(events) == {str(e["UID"]) for e in feed(client, researcher).walk("VEVENT")}  # stable


def test_unknown_secret_is_404(client, researcher):
    assert client.get("/calendar/not-a-secret.ics").status_code == 404
