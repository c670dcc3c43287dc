"""The booking form's recurring series (a check step per occurrence, then the series service) and the waitlist
pages (join from a taken slot, my entries with their status, leave)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling.choices import BookingStatus, WaitlistStatus
from scheduling.models import Booking, WaitlistEntry
from scheduling.services import booking_cancel
from tests.factories import BookingFactory, WaitlistEntryFactory
from tests.support import next_slot

pytestmark = pytest.mark.django_db

URL = "/portal/bookings/new/"
JOIN = "/portal/waitlist/join/"
SEOUL = ZoneInfo("Asia/Seoul")


def form_data(backend, project, start, minutes=60, **extra):
    return {
        "backend": backend.pk,
        "project": project.pk,
        "start": start.astimezone(SEOUL).strftime("%Y-%m-%dT%H:%M"),
        "duration": minutes,
        "purpose": "",
        **extra,
    }


def test_series_check_lists_each_occurrence_and_books_nothing(
    portal_client, backend, project, other_project, mailoutbox
):
    start = next_slot(72)
    taken = start + datetime.timedelta(days=7)
    BookingFactory(charged=True, backend=backend, project=other_project, user=other_project.pi, starts_at=taken)
    response = portal_client.post(URL, form_data(backend, project, start, repeat="weekly", count=3))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="occurrence occurrence--booked"') == 2
    assert page.count('class="occurrence occurrence--skipped"') == 1
    assert "The time overlaps another booking." in page
    assert "2 of 3 occurrences will be booked" in page
    assert "2.00 hours" in page
    assert "Book 2 occurrences" in page
    assert "OTHER-2026-09" not in page
    assert Booking.objects.filter(project=project).count() == 0
    assert mailoutbox == []


def test_series_confirm_books_what_fits(portal_client, backend, project, other_project, member):
    start = next_slot(72)
    taken = start + datetime.timedelta(days=1)
    BookingFactory(charged=True, backend=backend, project=other_project, user=other_project.pi, starts_at=taken)
    data = form_data(backend, project, start, repeat="daily", count=3, step="confirm")
    response = portal_client.post(URL, data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:booking-list")
    mine = Booking.objects.filter(project=project).order_by("starts_at")
    assert [b.starts_at for b in mine] == [start, start + datetime.timedelta(days=2)]
    assert len({b.series for b in mine}) == 1
    assert mine[0].series is not None
    assert all(b.user == member and b.status == BookingStatus.CONFIRMED for b in mine)
    assert "2 bookings of the series made. 1 occurrence skipped." in response.content.decode()


# A series costs a base and a share per occurrence: each occurrence is checked and created by booking_create under
# the one backend lock of the series (its savepoint, the slot check, the policy, the allocation, the INSERT, the
# release, and the check and confirm steps both run it; the check rolls everything back).
SERIES_CHECK_QUERIES = (14, 8)  # base, per occurrence
SERIES_CONFIRM_QUERIES = (10, 8)


@pytest.mark.parametrize("count", [1, 2, 5])
def test_series_query_counts_are_a_base_and_a_share_per_occurrence(
    portal_client, backend, project, count, django_assert_num_queries
):
    start = next_slot(72)
    base, each = SERIES_CHECK_QUERIES
    with django_assert_num_queries(base + each * count):
        assert (
            portal_client.post(URL, form_data(backend, project, start, repeat="daily", count=count)).status_code == 200
        )
    base, each = SERIES_CONFIRM_QUERIES
    data = form_data(backend, project, start, repeat="daily", count=count, step="confirm")
    with django_assert_num_queries(base + each * count):
        assert portal_client.post(URL, data).status_code == 302
    assert Booking.objects.filter(project=project).count() == count


def test_series_until_a_day(portal_client, backend, project):
    start = next_slot(72)
    last_day = (start + datetime.timedelta(days=2)).astimezone(SEOUL).date()
    response = portal_client.post(URL, form_data(backend, project, start, repeat="daily", until=last_day.isoformat()))
    assert response.content.decode().count('class="occurrence occurrence--booked"') == 3


def test_series_needs_a_count_or_a_last_day(portal_client, backend, project):
    response = portal_client.post(URL, form_data(backend, project, next_slot(72), repeat="weekly"))
    assert response.status_code == 400
    assert 'id="id_count_error"' in response.content.decode()
    assert not Booking.objects.exists()


def test_series_ending_before_it_starts_is_refused(portal_client, backend, project):
    start = next_slot(72)
    before = (start - datetime.timedelta(days=2)).astimezone(SEOUL).date().isoformat()
    response = portal_client.post(URL, form_data(backend, project, start, repeat="daily", until=before))
    assert response.status_code == 400
    assert 'id="id_until_error"' in response.content.decode()


@pytest.mark.parametrize("count", ["0", "101", "many"])
def test_series_count_is_bounded(portal_client, backend, project, count):
    response = portal_client.post(URL, form_data(backend, project, next_slot(72), repeat="daily", count=count))
    assert response.status_code == 400
    assert 'id="id_count_error"' in response.content.decode()
    assert not Booking.objects.exists()


def test_count_and_until_are_ignored_without_repeat(portal_client, backend, project):
    response = portal_client.post(URL, form_data(backend, project, next_slot(72), count="5", step="confirm"))
    assert response.status_code == 302
    assert Booking.objects.count() == 1


def test_series_for_another_projects_is_refused(portal_client, backend, other_project):
    data = form_data(backend, other_project, next_slot(72), repeat="daily", count=2, step="confirm")
    response = portal_client.post(URL, data)
    assert response.status_code == 400
    assert not Booking.objects.exists()


def test_taken_slot_offers_the_waitlist_and_joining_waits(portal_client, backend, project, other_project, member):
    start = next_slot(72)
    BookingFactory(charged=True, backend=backend, project=other_project, user=other_project.pi, starts_at=start)
    page = portal_client.post(URL, form_data(backend, project, start)).content.decode()
    assert "Join the waitlist" in page
    assert f'action="{JOIN}"' in page
    response = portal_client.post(JOIN, form_data(backend, project, start, purpose="RB"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:waitlist")
    entry = WaitlistEntry.objects.get()
    assert (entry.user, entry.project, entry.starts_at, entry.status) == (member, project, start, "waiting")
    assert "You are on the waitlist" in response.content.decode()


def test_the_waitlist_is_not_offered_for_other_refusals(portal_client, backend, project):
    start = next_slot(72) + datetime.timedelta(minutes=5)
    assert "Join the waitlist" not in portal_client.post(URL, form_data(backend, project, start)).content.decode()


def test_joining_a_free_slot_says_book_it(portal_client, backend, project):
    response = portal_client.post(JOIN, form_data(backend, project, next_slot(72)))
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_start_error"' in page
    assert "book it instead" in page
    assert not WaitlistEntry.objects.exists()


def test_joining_with_a_series_is_refused(portal_client, backend, project, other_project):
    start = next_slot(72)
    BookingFactory(charged=True, backend=backend, project=other_project, user=other_project.pi, starts_at=start)
    response = portal_client.post(JOIN, form_data(backend, project, start, repeat="daily", count=2))
    assert response.status_code == 400
    assert 'id="id_repeat_error"' in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_my_waitlist_shows_statuses_and_a_freed_slot_booked(portal_client, backend, project, other_project, member):
    start = next_slot(72)
    held = BookingFactory(charged=True, backend=backend, project=other_project, user=other_project.pi, starts_at=start)
    portal_client.post(JOIN, form_data(backend, project, start))
    WaitlistEntryFactory(backend=backend, project=project, user=member, status=WaitlistStatus.EXPIRED)
    page = portal_client.get(reverse("portal:waitlist")).content.decode()
    assert ">Waiting<" in page
    assert ">Expired<" in page
    assert "Leave" in page
    booking_cancel(booking=held, by=other_project.pi)
    page = portal_client.get(reverse("portal:waitlist")).content.decode()
    assert ">Booked<" in page
    assert "booking: Confirmed" in page
    assert Booking.objects.get(project=project).starts_at == start


def test_leave_from_my_waitlist(portal_client, backend, project, member):
    entry = WaitlistEntryFactory(backend=backend, project=project, user=member)
    response = portal_client.post(reverse("portal:waitlist-leave", args=[entry.pk]), follow=True)
    assert "You left the waitlist" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.LEFT
    again = portal_client.post(reverse("portal:waitlist-leave", args=[entry.pk]), follow=True)
    assert "no longer waiting" in again.content.decode()


def test_someone_elses_entry_cannot_be_left(portal_client, backend, other_project):
    entry = WaitlistEntryFactory(backend=backend, project=other_project, user=other_project.pi)
    assert portal_client.post(reverse("portal:waitlist-leave", args=[entry.pk])).status_code == 404
    assert portal_client.get(reverse("portal:waitlist-leave", args=[entry.pk])).status_code == 405
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING


def test_waitlist_pages_need_login(client):
    assert client.get(reverse("portal:waitlist")).status_code == 302
    assert client.post(JOIN, {}).status_code == 302


# Session + user, then the entries with their backend, project and booking in one query.
WAITLIST_PAGE_QUERIES = 3


def test_waitlist_page_query_count_is_pinned(portal_client, backend, project, member):
    added = []

    def add(n):
        for _ in range(n):
            added.append(1)
            booking = BookingFactory(
                backend=backend, project=project, user=member, starts_at=next_slot(100 + 2 * len(added))
            )
            WaitlistEntryFactory(
                backend=backend, project=project, user=member, status=WaitlistStatus.BOOKED, booking=booking
            )
            WaitlistEntryFactory(backend=backend, project=project, user=member)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert portal_client.get(reverse("portal:waitlist")).status_code == 200
        return len(queries)

    add(1)
    assert count() == WAITLIST_PAGE_QUERIES
    add(4)
    assert count() == WAITLIST_PAGE_QUERIES


# Joining from the booking form: session, user, the form's backends with their latest calibration (2), the chosen
# backend again with its calibration (the form's field: 2), the projects with their members (2); the service's
# savepoint, the membership, the backend row locked, the project's future bookings (policy), what holds the slot, the
# allocation, the same wait already there; the INSERT (the database enforces relations and constraints), the release.
WAITLIST_JOIN_QUERIES = 17


def test_waitlist_join_query_count_is_pinned(portal_client, backend, project, other_project, django_assert_num_queries):
    start = next_slot(72)
    BookingFactory(charged=True, backend=backend, project=other_project, user=other_project.pi, starts_at=start)
    with django_assert_num_queries(WAITLIST_JOIN_QUERIES):
        response = portal_client.post(JOIN, form_data(backend, project, start))
    assert response.status_code == 302
    assert WaitlistEntry.objects.get().starts_at == start


def test_korean_waitlist_page(portal_client, member, backend, project):
    member.language = "ko"
    member.save()
    WaitlistEntryFactory(backend=backend, project=project, user=member)
    portal_client.cookies["django_language"] = "ko"
    page = portal_client.get(reverse("portal:waitlist"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "My waitlist" not in page
    assert "Waiting" not in page
    assert "대기" in page
