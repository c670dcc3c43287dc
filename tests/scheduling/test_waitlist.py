"""The waitlist (DESIGN.md 3.4), each rule broken on purpose: joining takes a booking's checks except the
conflict; a freed slot goes to the oldest waiting entry that fits, in the same transaction, charged like any
booking; leaving; the sweep; what a cancellation costs when nobody waits."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.errors import DomainError
from scheduling.choices import BookingStatus, CancelReason, WaitlistStatus
from scheduling.models import Booking, WaitlistEntry
from scheduling.services import (
    booking_cancel,
    booking_policy_update,
    booking_reject,
    maintenance_window_create,
    waitlist_expire,
    waitlist_leave,
)
from tests.factories import MaintenanceWindowFactory, UserFactory, WaitlistEntryFactory
from tests.support import NOW, assert_usage_matches_bookings, at, book, wait_for_slot

pytestmark = pytest.mark.usefixtures("now")


@pytest.fixture
def rival(make_project):
    """A member of another project, which has its own allocation on the backend."""
    user = UserFactory(username="rival")
    other = make_project(code="OTHER-2026-09", members=[user])
    return {"user": user, "project": other}


@pytest.fixture
def taken(backend, rival):
    """The other project's booking of tomorrow 10:00-11:00 in Seoul (at(25)-at(26))."""
    return book(backend, rival["project"], rival["user"], at(25), at(26))


def test_join_a_taken_slot_waits(backend, project, researcher, taken):
    entry = wait_for_slot(backend, project, researcher, at(25), at(26), purpose="RB")
    assert (entry.status, entry.booking, entry.purpose) == (WaitlistStatus.WAITING, None, "RB")
    assert Booking.objects.filter(project=project).count() == 0


def test_join_a_slot_only_partly_taken_waits(backend, project, researcher, taken):
    assert wait_for_slot(backend, project, researcher, at(24.5), at(25.5)).status == WaitlistStatus.WAITING


def test_join_a_free_slot_is_slot_free(backend, project, researcher, taken):
    with pytest.raises(DomainError) as exc:
        wait_for_slot(backend, project, researcher, at(26), at(27))
    assert (exc.value.code, exc.value.status_code) == ("slot_free", 409)
    assert not WaitlistEntry.objects.exists()


def test_join_a_slot_a_cancelled_booking_held_is_slot_free(backend, project, researcher, taken, rival):
    booking_cancel(booking=taken, by=rival["user"])
    with pytest.raises(DomainError) as exc:
        wait_for_slot(backend, project, researcher, at(25), at(26))
    assert exc.value.code == "slot_free"


def test_join_over_maintenance_is_refused(backend, project, researcher, taken):
    MaintenanceWindowFactory(backend=backend, starts_at=at(26), ends_at=at(27))
    with pytest.raises(DomainError) as exc:
        wait_for_slot(backend, project, researcher, at(25), at(27))
    assert exc.value.code == "maintenance_conflict"
    assert [c["kind"] for c in exc.value.extra["conflicts"]] == ["maintenance"]
    assert not WaitlistEntry.objects.exists()


def test_join_needs_membership(backend, taken, project):
    with pytest.raises(DomainError) as exc:
        wait_for_slot(backend, project, UserFactory(), at(25), at(26))
    assert (exc.value.code, exc.value.status_code) == ("not_member", 403)
    assert not WaitlistEntry.objects.exists()


def test_join_needs_an_active_project(backend, project, researcher, taken):
    project.active = False
    project.save()
    with pytest.raises(DomainError) as exc:
        wait_for_slot(backend, project, researcher, at(25), at(26))
    assert exc.value.extra["rule"] == "project_inactive"


@pytest.mark.parametrize(
    ("start", "end", "rule"),
    [
        (at(25) + datetime.timedelta(minutes=5), at(26), "slot_alignment"),
        (at(25), at(30), "length"),
        (at(0, days=29), at(1, days=29), "horizon"),
    ],
)
def test_join_keeps_the_booking_policy(backend, project, researcher, taken, start, end, rule):
    with pytest.raises(DomainError) as exc:
        wait_for_slot(backend, project, researcher, start, end)
    assert (exc.value.code, exc.value.extra["rule"]) == ("policy_violation", rule)
    assert not WaitlistEntry.objects.exists()


def test_join_keeps_the_project_booking_cap(backend, project, researcher, taken):
    booking_policy_update(backend=backend, max_future_bookings=1)
    book(backend, project, researcher, at(1), at(2))
    with pytest.raises(DomainError) as exc:
        wait_for_slot(backend, project, researcher, at(25), at(26))
    assert exc.value.extra["rule"] == "max_future_bookings"


def test_join_needs_the_hours(backend, make_project, researcher, taken):
    poor = make_project(code="POOR-1", members=[researcher], hours="0.50")
    with pytest.raises(DomainError) as exc:
        wait_for_slot(backend, poor, researcher, at(25), at(26))
    assert exc.value.code == "allocation_exceeded"
    assert exc.value.extra == {"requested_hours": "1.00", "remaining_hours": "0.50"}


def test_join_twice_for_the_same_slot_is_refused(backend, project, researcher, taken):
    wait_for_slot(backend, project, researcher, at(25), at(26))
    with pytest.raises(ValidationError) as exc:
        wait_for_slot(backend, project, researcher, at(25), at(26))
    assert "start" in exc.value.message_dict
    assert WaitlistEntry.objects.count() == 1


def test_join_needs_offsets_and_order(backend, project, researcher, taken):
    with pytest.raises(ValidationError):
        wait_for_slot(backend, project, researcher, at(26), at(25))
    with pytest.raises(ValidationError):
        wait_for_slot(backend, project, researcher, at(25).replace(tzinfo=None), at(26).replace(tzinfo=None))


def test_cancellation_books_the_oldest_waiting_entry(
    backend, project, researcher, make_project, taken, rival, allocation, mailoutbox, django_capture_on_commit_callbacks
):
    late_user = UserFactory(username="late")
    late_project = make_project(code="LATE-1", members=[late_user])
    first = wait_for_slot(backend, project, researcher, at(25), at(26))
    second = wait_for_slot(backend, late_project, late_user, at(25), at(26))
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=taken, by=rival["user"])
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == WaitlistStatus.BOOKED
    assert first.closed_at == NOW
    booking = first.booking
    assert (booking.user, booking.project, booking.starts_at, booking.ends_at) == (researcher, project, at(25), at(26))
    assert (booking.status, booking.charged_hours) == (BookingStatus.CONFIRMED, Decimal("1.00"))
    assert booking.allocation == allocation
    assert assert_usage_matches_bookings(allocation).remaining_hours == Decimal("99.00")
    assert second.status == WaitlistStatus.WAITING
    assert [m.to for m in mailoutbox] == [[researcher.email]]
    assert "waited for" in mailoutbox[0].subject
    assert "2026-03-03 10:00 KST" in mailoutbox[0].body


def test_nothing_is_booked_or_sent_when_the_cancellation_rolls_back(
    backend, project, researcher, taken, rival, mailoutbox, django_capture_on_commit_callbacks
):
    entry = wait_for_slot(backend, project, researcher, at(25), at(26))

    def cancel_then_fail():
        with transaction.atomic():
            booking_cancel(booking=taken, by=rival["user"])
            raise RuntimeError("the cancellation fails after the waitlist ran")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        cancel_then_fail()
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING
    assert Booking.objects.filter(project=project).count() == 0
    assert mailoutbox == []


def test_an_entry_that_still_overlaps_a_booking_keeps_waiting(backend, project, researcher, make_project, taken, rival):
    also_taken = book(backend, rival["project"], rival["user"], at(26), at(27))
    wide = wait_for_slot(backend, project, researcher, at(25), at(27))
    other_user = UserFactory()
    narrow = wait_for_slot(backend, make_project(code="N-1", members=[other_user]), other_user, at(25), at(26))
    booking_cancel(booking=taken, by=rival["user"])
    wide.refresh_from_db()
    narrow.refresh_from_db()
    assert wide.status == WaitlistStatus.WAITING  # older, but 11:00-12:00 is still held
    assert narrow.status == WaitlistStatus.BOOKED
    booking_cancel(booking=also_taken, by=rival["user"])
    wide.refresh_from_db()
    assert wide.status == WaitlistStatus.WAITING  # 10:00-11:00 is now the narrow entry's booking


def test_a_freed_slot_can_serve_several_entries_that_do_not_overlap(backend, project, researcher, make_project, rival):
    long_booking = book(backend, rival["project"], rival["user"], at(25), at(27))
    first = wait_for_slot(backend, project, researcher, at(25), at(26))
    other_user = UserFactory()
    second = wait_for_slot(backend, make_project(code="N-1", members=[other_user]), other_user, at(26), at(27))
    booking_cancel(booking=long_booking, by=rival["user"])
    assert set(WaitlistEntry.objects.values_list("status", flat=True)) == {WaitlistStatus.BOOKED}
    assert {first.pk, second.pk} == set(WaitlistEntry.objects.values_list("pk", flat=True))


def test_an_entry_whose_project_ran_out_of_hours_keeps_waiting(
    backend, project, researcher, make_project, taken, rival, allocation
):
    first = wait_for_slot(backend, project, researcher, at(25), at(26))
    other_user = UserFactory()
    second = wait_for_slot(backend, make_project(code="N-1", members=[other_user]), other_user, at(25), at(26))
    allocation.hours = Decimal("0.50")
    allocation.save()
    booking_cancel(booking=taken, by=rival["user"])
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (WaitlistStatus.WAITING, WaitlistStatus.BOOKED)


def test_an_entry_of_a_removed_member_keeps_waiting(backend, project, researcher, taken, rival):
    entry = wait_for_slot(backend, project, researcher, at(25), at(26))
    project.memberships.filter(user=researcher).delete()
    booking_cancel(booking=taken, by=rival["user"])
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING
    assert not Booking.objects.filter(project=project).exists()


def test_a_booking_from_the_waitlist_follows_the_approval_rule(
    backend, project, researcher, taken, rival, mailoutbox, django_capture_on_commit_callbacks
):
    entry = wait_for_slot(backend, project, researcher, at(25), at(26))
    booking_policy_update(backend=backend, approval_over_minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=taken, by=rival["user"])
    entry.refresh_from_db()
    assert entry.booking.status == BookingStatus.PENDING
    assert "stays pending" in mailoutbox[0].body


def test_rejection_frees_the_slot_for_the_waitlist(backend, project, researcher, rival, facility_manager):
    booking_policy_update(backend=backend, approval_over_minutes=30)
    pending = book(backend, rival["project"], rival["user"], at(25), at(26))
    entry = wait_for_slot(backend, project, researcher, at(25), at(26))
    booking_policy_update(backend=backend, approval_over_minutes=None)
    booking_reject(booking=pending, by=facility_manager)
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.BOOKED
    assert entry.booking.status == BookingStatus.CONFIRMED


def test_maintenance_cancellation_books_entries_outside_the_window(
    backend, project, researcher, make_project, rival, facility_manager
):
    long_booking = book(backend, rival["project"], rival["user"], at(25), at(27))
    inside = wait_for_slot(backend, project, researcher, at(25), at(26))
    other_user = UserFactory()
    outside = wait_for_slot(backend, make_project(code="N-1", members=[other_user]), other_user, at(26), at(27))
    result = maintenance_window_create(
        backend=backend, starts_at=at(25), ends_at=at(26), title="Cooldown", by=facility_manager
    )
    assert result.cancelled_bookings == [long_booking.pk]
    inside.refresh_from_db()
    outside.refresh_from_db()
    assert inside.status == WaitlistStatus.WAITING
    assert outside.status == WaitlistStatus.BOOKED


def test_leave_by_the_owner(backend, project, researcher, taken, rival):
    entry = wait_for_slot(backend, project, researcher, at(25), at(26))
    left = waitlist_leave(entry=entry, by=researcher)
    assert (left.status, left.closed_at) == (WaitlistStatus.LEFT, NOW)
    booking_cancel(booking=taken, by=rival["user"])
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.LEFT
    assert not Booking.objects.filter(project=project).exists()


def test_leave_by_someone_else_is_refused(backend, project, researcher, taken, rival, facility_manager):
    entry = wait_for_slot(backend, project, researcher, at(25), at(26))
    with pytest.raises(PermissionDenied):
        waitlist_leave(entry=entry, by=rival["user"])
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING
    assert waitlist_leave(entry=entry, by=facility_manager).status == WaitlistStatus.LEFT


def test_leave_a_booked_entry_is_not_cancellable(backend, project, researcher, taken, rival):
    entry = wait_for_slot(backend, project, researcher, at(25), at(26))
    booking_cancel(booking=taken, by=rival["user"])
    with pytest.raises(DomainError) as exc:
        waitlist_leave(entry=entry, by=researcher)
    assert (exc.value.code, exc.value.extra["status"]) == ("not_cancellable", "booked")


def test_sweep_expires_entries_whose_start_passed(backend, project, researcher):
    mine = {"backend": backend, "project": project, "user": researcher}
    started = WaitlistEntryFactory(**mine, starts_at=at(-0.25), ends_at=at(1))
    later = WaitlistEntryFactory(**mine, starts_at=at(0.25), ends_at=at(1))
    booked = WaitlistEntryFactory(
        backend=backend,
        project=project,
        user=researcher,
        starts_at=at(-2),
        ends_at=at(-1),
        status=WaitlistStatus.BOOKED,
        booking=book(backend, project, researcher, at(3), at(4)),
    )
    assert waitlist_expire() == 1
    assert waitlist_expire() == 0
    statuses = dict(WaitlistEntry.objects.values_list("pk", "status"))
    assert statuses == {started.pk: "expired", later.pk: "waiting", booked.pk: "booked"}


def test_an_entry_whose_slot_ended_is_never_booked(backend, project, researcher, rival, facility_manager):
    ended = book(
        backend, rival["project"], rival["user"], at(-3), at(-2), created_by=facility_manager, override_policy=True
    )
    WaitlistEntryFactory(backend=backend, project=project, user=researcher, starts_at=at(-3), ends_at=at(-2))
    with pytest.raises(DomainError):
        booking_cancel(booking=ended, by=facility_manager)
    assert WaitlistEntry.objects.get().status == WaitlistStatus.WAITING


def test_constraints_refuse_inconsistent_entries(backend, project, researcher):
    cases = [
        {"status": WaitlistStatus.BOOKED},  # booked without a booking
        {"status": "maybe"},
        {"starts_at": at(2), "ends_at": at(1)},
        {"status": WaitlistStatus.LEFT, "closed_at": None},
    ]
    for fields in cases:
        with pytest.raises(IntegrityError), transaction.atomic():
            WaitlistEntryFactory(backend=backend, project=project, user=researcher, **fields)
    WaitlistEntryFactory(backend=backend, project=project, user=researcher, starts_at=at(1), ends_at=at(2))
    with pytest.raises(IntegrityError), transaction.atomic():
        WaitlistEntryFactory(backend=backend, project=project, user=researcher, starts_at=at(1), ends_at=at(2))


# A cancellation (its savepoint, the booking locked with its backend and project, the PI check, full_clean's
# relation and constraint checks, the UPDATE), the one statement that cancels its queued and running jobs, and the
# waitlist's one check that nobody waits for the freed time: 28 queries before jobs and the waitlist, 30 with them.
CANCEL_QUERIES = 30


def test_cancel_costs_one_query_for_the_waitlist_when_nobody_waits(backend, project, researcher):
    booking = book(backend, project, researcher, at(30), at(31))
    with CaptureQueriesContext(connection) as queries:
        cancelled = booking_cancel(booking=booking, by=researcher)
    waitlist = [q["sql"] for q in queries.captured_queries if "waitlistentry" in q["sql"]]
    assert len(waitlist) == 1
    jobs = [q["sql"] for q in queries.captured_queries if '"scheduling_job"' in q["sql"]]
    assert len(jobs) == 1
    assert len(queries) == CANCEL_QUERIES, [q["sql"] for q in queries.captured_queries]
    assert (cancelled.status, cancelled.cancel_reason) == (BookingStatus.CANCELLED, CancelReason.USER)


def test_the_waitlist_email_is_in_the_owners_language(
    backend, project, researcher, taken, rival, mailoutbox, django_capture_on_commit_callbacks
):
    researcher.language = "ko"
    researcher.save()
    wait_for_slot(backend, project, researcher, at(25), at(26))
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=taken, by=rival["user"])
    assert "기다리던" in mailoutbox[0].subject
    assert "프로젝트 할당 시간에서 차감됩니다" in mailoutbox[0].body
