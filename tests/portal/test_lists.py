"""Live lists and the bookings page (issue 18, point 7): the job list and the dashboard reload themselves while a
job is queued or running (the job page's mechanism, an external script, no inline code); a cancelled booking is
never listed under "Upcoming"; both booking tables have the same columns, so they line up."""

import re

import pytest
from django.urls import reverse

from scheduling.choices import BookingStatus, JobStatus
from tests.factories import BookingFactory, JobFactory
from tests.support import next_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(backend, project, member):
    return BookingFactory(charged=True, backend=backend, project=project, user=member, starts_at=next_slot())


@pytest.mark.parametrize("name", ["portal:job-list", "portal:home"])
def test_lists_reload_themselves_only_while_a_job_is_unfinished(portal_client, booking, name):
    job = JobFactory(queued=True, booking=booking)
    page = portal_client.get(reverse(name)).content.decode()
    assert "data-autorefresh" in page
    for status in (JobStatus.RUNNING, JobStatus.COMPLETED):
        job.status = status
        job.save(update_fields=["status"])
        page = portal_client.get(reverse(name)).content.decode()
        assert ("data-autorefresh" in page) is (status == JobStatus.RUNNING)


def _sections(page):
    upcoming, _, past = page.partition('id="past-h"')
    return upcoming, past


def test_cancelled_bookings_are_not_listed_under_upcoming(portal_client, backend, project, member, booking):
    cancelled = BookingFactory(
        backend=backend, project=project, user=member, starts_at=next_slot(96), status=BookingStatus.CANCELLED
    )
    upcoming, past = _sections(portal_client.get(reverse("portal:booking-list")).content.decode())
    assert reverse("portal:booking-cancel", args=[booking.pk]) in upcoming
    assert "badge--cancelled" not in upcoming
    assert "badge--cancelled" in past
    assert reverse("portal:booking-cancel", args=[cancelled.pk]) not in past


def test_both_booking_tables_have_the_same_columns(portal_client, backend, project, member, booking):
    BookingFactory(backend=backend, project=project, user=member, starts_at=next_slot(96), status="cancelled")
    page = portal_client.get(reverse("portal:booking-list")).content.decode()
    heads = re.findall(r"<thead>(.*?)</thead>", page, flags=re.S)
    assert len(heads) == 2
    assert heads[0] == heads[1]
    assert "col-cancel" in heads[0]
