"""Admin of the waitlist: a changelist without N+1, read-only entries, the leave action through the service."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling.choices import WaitlistStatus
from scheduling.models import WaitlistEntry
from tests.factories import WaitlistEntryFactory
from tests.support import at, book

pytestmark = pytest.mark.usefixtures("now")
URL = "/admin/scheduling/waitlistentry/"


@pytest.fixture
def admin_client_fm(client, facility_manager):
    client.force_login(facility_manager)
    return client


def test_changelist_query_count_is_constant(admin_client_fm, backend, project, researcher, django_assert_num_queries):
    def add(n):
        for i in range(n):
            hours = 30 + 2 * WaitlistEntry.objects.count() + i
            booking = book(backend, project, researcher, at(hours), at(hours + 1))
            WaitlistEntryFactory(
                backend=backend, project=project, user=researcher, status=WaitlistStatus.BOOKED, booking=booking
            )

    add(1)
    with CaptureQueriesContext(connection) as first:
        assert admin_client_fm.get(URL).status_code == 200
    add(3)
    with django_assert_num_queries(len(first)):
        response = admin_client_fm.get(URL)
    assert response.status_code == 200
    assert b"CBQRC-2026-01" in response.content


def test_entries_cannot_be_added_or_deleted(admin_client_fm, backend, project, researcher):
    entry = WaitlistEntryFactory(backend=backend, project=project, user=researcher)
    assert admin_client_fm.get(f"{URL}add/").status_code == 403
    assert admin_client_fm.post(f"{URL}{entry.pk}/delete/").status_code == 403
    assert WaitlistEntry.objects.filter(pk=entry.pk).exists()


def test_leave_action_takes_waiting_entries_off(admin_client_fm, backend, project, researcher):
    waiting = WaitlistEntryFactory(backend=backend, project=project, user=researcher, starts_at=at(30), ends_at=at(31))
    expired = WaitlistEntryFactory(backend=backend, project=project, user=researcher, status=WaitlistStatus.EXPIRED)
    response = admin_client_fm.post(
        URL, {"action": "leave_selected", "_selected_action": [waiting.pk, expired.pk]}, follow=True
    )
    page = response.content.decode()
    assert "Took 1 entry(s) off the waitlist." in page
    assert f"#{expired.pk}: This entry is no longer waiting" in page
    waiting.refresh_from_db()
    expired.refresh_from_db()
    assert (waiting.status, expired.status) == (WaitlistStatus.LEFT, WaitlistStatus.EXPIRED)
