"""Hours read as hours on every page and on both engines (issue 17 point 7): `69.76 h`, never the
`69.7600000000000 h` that SQLite's sum of decimals gives. Run on PostgreSQL and on SQLite (make test runs both)."""

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from scheduling.models import Allocation
from scheduling.selectors import allocation_list_with_usage
from scheduling.templatetags.scheduling_format import hours
from tests.factories import BookingFactory
from tests.support import next_slot


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("69.7600000000000"), "69.76"),
        (Decimal("150"), "150.00"),
        (69.76, "69.76"),
        ("1.5", "1.50"),
        (None, "\u2013"),
        ("n/a", "n/a"),
    ],
)
def test_hours_filter(value, shown):
    assert hours(value) == shown


@pytest.fixture
def charged(allocation, backend, project, member):
    """100 h granted, 30.24 h charged: 69.76 h left (an outage credit leaves such hundredths)."""
    Allocation.objects.filter(pk=allocation.pk).update(hours=Decimal("100"))
    BookingFactory(backend=backend, project=project, user=member, allocation=allocation, charged_hours=Decimal("30.24"))
    return allocation_list_with_usage(project=project).get()


def test_dashboard_usage_and_booking_preview_show_hours_with_two_decimals(portal_client, charged, backend, project):
    assert charged.remaining_hours == Decimal("69.76")  # whatever digits the engine returns
    pages = {
        "dashboard": portal_client.get("/portal/").content.decode(),
        "usage": portal_client.get("/portal/usage/").content.decode(),
    }
    start = next_slot(96).astimezone(ZoneInfo("Asia/Seoul"))
    preview = portal_client.post(
        "/portal/bookings/new/",
        {"backend": backend.pk, "project": project.pk, "start": start.strftime("%Y-%m-%dT%H:%M"), "duration": 60},
    )
    pages["preview"] = preview.content.decode()
    assert "69.76 of 100.00 h left" in pages["dashboard"]
    assert "69.76 h" in pages["usage"]
    assert "30.24 h" in pages["usage"]
    assert "68.76 hours left afterwards" in pages["preview"]
    for name, page in pages.items():
        for long_form in ("69.760", "30.240", "68.760"):
            assert long_form not in page, (name, connection.vendor)
