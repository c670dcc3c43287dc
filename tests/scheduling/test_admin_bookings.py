"""The bookings' admin (issue 17 points 4, 5, 8): no hard delete, adding a booking for a member through the booking
service, rejecting with a reason, cancelling, the pending list and its count on the index, every time in the
site's time zone, and the query count of every page and action pinned."""

import datetime

import pytest
from django.contrib.admin.sites import site as admin_site

from scheduling.choices import BookingStatus, CancelReason
from scheduling.models import Booking
from scheduling.services import booking_policy_update
from tests.factories import StaffFactory, UserFactory
from tests.support import at, book

pytestmark = pytest.mark.usefixtures("now")

CHANGELIST = "/admin/scheduling/booking/"
ADD = "/admin/scheduling/booking/add/"


@pytest.fixture
def fm_client(client, facility_manager):
    facility_manager.time_zone = "Europe/Helsinki"  # not the site's (Asia/Seoul): the admin must use the site's
    facility_manager.save()
    client.force_login(facility_manager)
    return client


@pytest.fixture
def pending(backend, project, researcher):
    booking_policy_update(backend=backend, approval_over_minutes=60)
    return [book(backend, project, researcher, at(h), at(h + 2), notify=False) for h in (1, 4)]


def add_form(backend, project, user, *, day="2026-03-02", start="10:00", end="11:00", **extra):
    return {
        "backend": backend.pk,
        "project": project.pk,
        "user": user.pk,
        "starts_at_0": day,
        "starts_at_1": start,
        "ends_at_0": day,
        "ends_at_1": end,
        "purpose": "Lab course",
        **extra,
    }


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# No hard delete


def test_bookings_cannot_be_deleted_in_the_admin(superuser, client, backend, project, researcher):
    booking = book(backend, project, researcher, at(1), at(2))
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.NO_SHOW)
    client.force_login(superuser)
    model_admin = admin_site._registry[Booking]
    request = client.get(CHANGELIST).wsgi_request
    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)
    page = client.get(f"{CHANGELIST}{booking.pk}/change/").content.decode()
    assert "/delete/" not in page
    assert client.post(f"{CHANGELIST}{booking.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [booking.pk], "post": "yes"})
    assert Booking.objects.filter(pk=booking.pk, status=BookingStatus.NO_SHOW).exists()


# Adding a booking for a member, through the booking service


def test_add_form_books_for_a_member_in_the_sites_time_zone(fm_client, facility_manager, backend, project, researcher):
    response = fm_client.get(ADD)
    page = response.content.decode()
    assert "Asia/Seoul" in page
    assert f'data-project="{project.pk}"' in page
    assert 'name="override_policy"' in page
    response = fm_client.post(ADD, add_form(backend, project, researcher))
    assert response.status_code == 302, messages_of(response)
    booking = Booking.objects.get()
    # 10:00 in Seoul, the site's zone: 01:00 UTC (the staff user's own zone, Helsinki, plays no part).
    assert booking.starts_at == datetime.datetime(2026, 3, 2, 1, tzinfo=datetime.UTC)
    assert (booking.user, booking.created_by, booking.status) == (researcher, facility_manager, BookingStatus.CONFIRMED)
    assert booking.charged_hours == 1
    assert booking.allocation is not None


def test_add_refusal_is_a_message_keeps_the_input_and_saves_nothing(fm_client, backend, project, researcher):
    book(backend, project, researcher, at(1), at(2))
    response = fm_client.post(ADD, add_form(backend, project, researcher, start="10:00", end="11:00"))
    assert response.status_code == 200
    assert any("overlaps another booking" in m for m in messages_of(response))
    page = response.content.decode()
    assert 'value="Lab course"' in page or ">Lab course<" in page  # the values entered are still there
    assert "Nothing was saved" in page
    assert Booking.objects.count() == 1


def test_add_applies_the_policy_unless_staff_override_it(fm_client, backend, project, researcher):
    past = add_form(backend, project, researcher, day="2026-02-20", start="10:00", end="11:00")
    response = fm_client.post(ADD, past)
    assert response.status_code == 200
    assert any("cannot start before the current slot" in m for m in messages_of(response))
    assert not Booking.objects.exists()
    response = fm_client.post(ADD, {**past, "override_policy": "on"})
    assert response.status_code == 302, messages_of(response)
    assert Booking.objects.get().override_policy is True


def test_add_refuses_someone_outside_the_project(fm_client, backend, project, make_project):
    outsider = UserFactory(username="outsider")
    make_project(code="OTHER-01", members=[outsider])
    response = fm_client.post(ADD, add_form(backend, project, outsider))
    assert response.status_code == 200
    assert any("is not a member of project" in m for m in messages_of(response))
    assert not Booking.objects.exists()
    stranger = UserFactory(username="stranger")  # in no project at all: not even offered
    response = fm_client.post(ADD, add_form(backend, project, stranger))
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert not Booking.objects.exists()


def test_a_booking_record_is_read_only(fm_client, backend, project, researcher):
    booking = book(backend, project, researcher, at(1), at(2))
    page = fm_client.get(f"{CHANGELIST}{booking.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    fm_client.post(f"{CHANGELIST}{booking.pk}/change/", {"purpose": "changed"})
    booking.refresh_from_db()
    assert booking.purpose != "changed"


# Every time in the site's zone, the title included


def test_change_page_and_list_show_the_sites_time(fm_client, backend, project, researcher):
    booking = book(backend, project, researcher, at(1), at(2))  # 01:00-02:00 UTC = 10:00-11:00 KST
    page = fm_client.get(f"{CHANGELIST}{booking.pk}/change/").content.decode()
    title = page.split("<title>")[1].split("</title>")[0]
    assert "2026-03-02 10:00 KST" in title
    assert "March 2, 2026, 10 a.m." in page.split('id="content-main"')[1]
    assert "3 a.m." not in page  # Helsinki's time (the staff user's zone) appears nowhere
    assert "Asia/Seoul" in page
    listing = fm_client.get(CHANGELIST).content.decode()
    assert "March 2, 2026, 10 a.m." in listing
    assert "10:00&ndash;11:00" in listing  # the calendar above the list
    assert "Asia/Seoul" in listing


# Approvals: the pending list, its count on the index, reject with a reason


def test_index_counts_the_pending_bookings_and_links_to_them(fm_client, pending):
    page = fm_client.get("/admin/").content.decode()
    assert "2 bookings await approval" in page
    assert f"{CHANGELIST}?approval=waiting" in page
    listing = fm_client.get(CHANGELIST, {"approval": "waiting"})
    assert [b.pk for b in listing.context["cl"].result_list] == [b.pk for b in pending]


def test_index_shows_no_count_to_staff_outside_scheduling(client, pending):
    client.force_login(StaffFactory(username="procurement", groups=["Procurement officers"]))
    assert "pending-approvals" not in client.get("/admin/").content.decode()


def test_reject_asks_for_a_reason_then_rejects_and_emails_it(
    fm_client, pending, researcher, mailoutbox, django_capture_on_commit_callbacks
):
    ids = [b.pk for b in pending]
    page = fm_client.post(CHANGELIST, {"action": "reject_selected", "_selected_action": ids})
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()
    assert Booking.objects.filter(status=BookingStatus.PENDING).count() == 2  # nothing done yet
    with django_capture_on_commit_callbacks(execute=True):
        response = fm_client.post(
            CHANGELIST,
            {"action": "reject_selected", "_selected_action": ids, "apply": "Reject", "reason": "Cryostat warm-up."},
        )
    assert response.status_code == 302
    for booking in Booking.objects.filter(pk__in=ids):
        assert (booking.status, booking.cancel_reason) == (BookingStatus.CANCELLED, CancelReason.REJECTED)
        assert booking.rejection_reason == "Cryostat warm-up."
        assert booking.approved_at is None
    assert [m.to for m in mailoutbox] == [[researcher.email]] * 2
    assert all("Cryostat warm-up." in m.body for m in mailoutbox)


def test_reject_of_a_booking_that_is_not_pending_is_a_message(fm_client, backend, project, researcher):
    confirmed = book(backend, project, researcher, at(1), at(2))
    response = fm_client.post(
        CHANGELIST,
        {"action": "reject_selected", "_selected_action": [confirmed.pk], "apply": "Reject", "reason": ""},
        follow=True,
    )
    assert any("Only pending bookings" in m for m in messages_of(response))
    assert Booking.objects.get(pk=confirmed.pk).status == BookingStatus.CONFIRMED


def test_cancel_action_goes_through_the_service(fm_client, backend, project, researcher):
    early = book(backend, project, researcher, at(48), at(50))
    page = fm_client.post(CHANGELIST, {"action": "cancel_selected", "_selected_action": [early.pk]})
    assert page.status_code == 200
    assert "Refunded if cancelled now" in page.content.decode()
    response = fm_client.post(
        CHANGELIST, {"action": "cancel_selected", "_selected_action": [early.pk], "apply": "1", "reason": "maintenance"}
    )
    assert response.status_code == 302
    early.refresh_from_db()
    assert (early.status, early.cancel_reason, early.charged_hours) == (
        BookingStatus.CANCELLED,
        CancelReason.MAINTENANCE,
        0,
    )


# Query counts, pinned (issue 17 point 8). The actions run one service call per selected booking (two here);
# the changelist itself is pinned constant in its rows in test_admin.py.


@pytest.mark.parametrize(
    ("what", "queries"),
    [
        ("index", 6),
        ("add form", 8),
        ("add", 25),
        ("change page", 6),
        ("reject page", 12),
        ("reject", 24),  # + per booking: its jobs stopped, the waitlist asked for the freed time
        ("cancel page", 12),
        ("cancel", 72),  # booking_cancel's full_clean() re-checks every constraint; its jobs; the waitlist
        ("approve", 20),
    ],
)
def test_query_counts_of_the_bookings_admin(
    what, queries, fm_client, pending, backend, project, researcher, django_assert_num_queries
):
    ids = [b.pk for b in pending]
    requests = {
        "index": lambda: fm_client.get("/admin/"),
        "add form": lambda: fm_client.get(ADD),
        "add": lambda: fm_client.post(ADD, add_form(backend, project, researcher, start="17:00", end="18:00")),
        "change page": lambda: fm_client.get(f"{CHANGELIST}{ids[0]}/change/"),
        "reject page": lambda: fm_client.post(CHANGELIST, {"action": "reject_selected", "_selected_action": ids}),
        "reject": lambda: fm_client.post(
            CHANGELIST, {"action": "reject_selected", "_selected_action": ids, "apply": "1", "reason": "No."}
        ),
        "cancel page": lambda: fm_client.post(CHANGELIST, {"action": "cancel_selected", "_selected_action": ids}),
        "cancel": lambda: fm_client.post(
            CHANGELIST, {"action": "cancel_selected", "_selected_action": ids, "apply": "1", "reason": "user"}
        ),
        "approve": lambda: fm_client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": ids}),
    }
    with django_assert_num_queries(queries):
        response = requests[what]()
    assert response.status_code in (200, 302)
