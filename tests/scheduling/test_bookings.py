"""Booking rules of DESIGN.md 3.4, each broken on purpose; allocation accounting; approval; series; sweeper."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from core.errors import DomainError
from scheduling.choices import BookingStatus, CancelReason
from scheduling.models import Booking, Job
from scheduling.services import (
    booking_approve,
    booking_cancel,
    booking_cancel_preview,
    booking_policy_update,
    booking_reject,
    booking_series_create,
    booking_sweep,
)
from tests.factories import UserFactory
from tests.support import NOW, assert_usage_matches_bookings, at, book

pytestmark = pytest.mark.usefixtures("now")


def test_booking_create_confirms_and_charges(backend, project, researcher, allocation):
    booking = book(backend, project, researcher, at(1), at(2.5))
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.charged_hours == Decimal("1.50")
    assert booking.allocation == allocation
    assert assert_usage_matches_bookings(allocation).remaining_hours == Decimal("98.50")


def test_the_slot_under_way_can_be_booked(backend, project, researcher):
    booking = book(backend, project, researcher, NOW, at(0.25))
    assert booking.pk


@pytest.mark.parametrize(
    ("start", "end", "rule"),
    [
        (at(1, 0) + datetime.timedelta(minutes=5), at(2), "slot_alignment"),
        (at(1), at(1) + datetime.timedelta(minutes=10), "slot_alignment"),
        (at(1), at(5.25), "length"),
        (at(-0.25), at(0.5), "past_start"),
        (at(0, days=28.25), at(0.5, days=28.25), "horizon"),
    ],
)
def test_booking_create_refuses_policy_violations(backend, project, researcher, start, end, rule):
    with pytest.raises(DomainError) as exc:
        book(backend, project, researcher, start, end)
    assert exc.value.code == "policy_violation"
    assert exc.value.status_code == 400
    assert exc.value.extra["rule"] == rule
    assert not Booking.objects.exists()


def test_booking_create_refuses_too_short(backend, project, researcher):
    booking_policy_update(backend=backend, min_minutes=30)
    with pytest.raises(DomainError) as exc:
        book(backend, project, researcher, at(1), at(1.25))
    assert exc.value.extra["rule"] == "length"


def test_booking_create_refuses_over_the_project_cap(backend, project, researcher):
    booking_policy_update(backend=backend, max_future_bookings=2)
    book(backend, project, researcher, at(1), at(2))
    book(backend, project, researcher, at(3), at(4))
    with pytest.raises(DomainError) as exc:
        book(backend, project, researcher, at(5), at(6))
    assert exc.value.extra["rule"] == "max_future_bookings"
    assert Booking.objects.count() == 2


def test_a_taken_slot_is_refused_as_a_conflict_before_the_project_cap(backend, project, researcher, make_project):
    other = make_project(code="OTHER-1", members=[researcher])
    book(backend, other, researcher, at(5), at(6))
    booking_policy_update(backend=backend, max_future_bookings=1)
    book(backend, project, researcher, at(1), at(2))
    with pytest.raises(DomainError) as exc:  # both refuse it; the conflict, which lists what holds it, comes first
        book(backend, project, researcher, at(5), at(6))
    assert exc.value.code == "booking_conflict"
    with pytest.raises(DomainError) as exc:  # a free slot: the cap
        book(backend, project, researcher, at(7), at(8))
    assert exc.value.extra["rule"] == "max_future_bookings"
    assert Booking.objects.count() == 2


def test_a_taken_slot_is_refused_before_the_lock_in_the_order_the_lock_checks(
    backend, project, researcher, make_project
):
    """The refusal read before the transaction keeps the order of the checks: not a member, then the policy's rules
    of the times, then the conflict; nothing is saved."""
    other = make_project(code="OTHER-1", members=[researcher])
    book(backend, other, researcher, at(5), at(6))
    outsider = UserFactory()
    with pytest.raises(DomainError) as exc:
        book(backend, project, outsider, at(5), at(6))
    assert exc.value.code == "not_member"
    booking_policy_update(backend=backend, max_minutes=30)
    with pytest.raises(DomainError) as exc:  # too long and taken: the policy first, as under the lock
        book(backend, project, researcher, at(5), at(6))
    assert (exc.value.code, exc.value.extra["rule"]) == ("policy_violation", "length")
    with pytest.raises(DomainError) as exc:
        book(backend, project, researcher, at(5), at(5.5))
    assert exc.value.code == "booking_conflict"
    assert [c["kind"] for c in exc.value.extra["conflicts"]] == ["booking"]
    assert Booking.objects.count() == 1


def test_override_policy_skips_policy_rules_but_not_overlap(backend, project, researcher, facility_manager):
    past = book(backend, project, researcher, at(-50), at(-49.9), created_by=facility_manager, override_policy=True)
    assert past.override_policy
    with pytest.raises(DomainError) as exc:
        book(backend, project, researcher, at(-50), at(-49), created_by=facility_manager, override_policy=True)
    assert exc.value.code == "booking_conflict"


def test_researchers_cannot_override_or_book_for_others(backend, project, researcher):
    colleague = UserFactory()
    with pytest.raises(PermissionDenied):
        book(backend, project, researcher, at(1), at(2), override_policy=True)
    with pytest.raises(PermissionDenied):
        book(backend, project, colleague, at(1), at(2), created_by=researcher)
    assert not Booking.objects.exists()


def test_staff_may_book_for_a_member_but_not_a_stranger(backend, project, researcher, facility_manager):
    booking = book(backend, project, researcher, at(1), at(2), created_by=facility_manager)
    assert booking.user == researcher
    assert booking.created_by == facility_manager
    with pytest.raises(DomainError) as exc:
        book(backend, project, UserFactory(), at(3), at(4), created_by=facility_manager)
    assert exc.value.code == "not_member"


def test_non_member_is_refused(backend, project):
    with pytest.raises(DomainError) as exc:
        book(backend, project, UserFactory(), at(1), at(2))
    assert exc.value.code == "not_member"
    assert exc.value.status_code == 403


def test_overlap_is_refused_with_every_conflict(backend, project, researcher, make_project):
    other = UserFactory()
    other_project = make_project(code="OTHER-1", members=[other])
    book(backend, project, researcher, at(1), at(2))
    book(backend, other_project, other, at(2.5), at(3))
    with pytest.raises(DomainError) as exc:
        book(backend, project, researcher, at(1.5), at(3))
    assert exc.value.code == "booking_conflict"
    assert exc.value.status_code == 409
    assert [(c["start"], c["end"], c["kind"]) for c in exc.value.extra["conflicts"]] == [
        ("2026-03-02T01:00:00Z", "2026-03-02T02:00:00Z", "booking"),
        ("2026-03-02T02:30:00Z", "2026-03-02T03:00:00Z", "booking"),
    ]
    assert Booking.objects.count() == 2


def test_adjacent_bookings_do_not_overlap(backend, project, researcher):
    book(backend, project, researcher, at(1), at(2))
    assert book(backend, project, researcher, at(2), at(3)).pk


def test_cancelled_booking_frees_its_time(backend, project, researcher):
    first = book(backend, project, researcher, at(30), at(31))
    booking_cancel(booking=first, by=researcher)
    assert book(backend, project, researcher, at(30), at(31)).pk


def test_allocation_exceeded(backend, make_project, researcher):
    project = make_project(code="SMALL-1", members=[researcher], hours="1.5")
    book(backend, project, researcher, at(1), at(2))
    with pytest.raises(DomainError) as exc:
        book(backend, project, researcher, at(3), at(4))
    assert exc.value.code == "allocation_exceeded"
    assert exc.value.extra == {"requested_hours": "1.00", "remaining_hours": "0.50"}
    assert Booking.objects.count() == 1


def test_no_allocation_valid_at_the_start_is_exceeded(backend, project, researcher, facility_manager):
    with pytest.raises(DomainError) as exc:
        book(
            backend,
            project,
            researcher,
            at(0, days=-400),
            at(1, days=-400),
            created_by=facility_manager,
            override_policy=True,
        )
    assert exc.value.code == "allocation_exceeded"
    assert exc.value.extra["remaining_hours"] == "0.00"


def test_booking_on_another_backend_needs_an_allocation_there(make_backend, project, researcher):
    other = make_backend(name="other")
    with pytest.raises(DomainError) as exc:
        book(other, project, researcher, at(1), at(2))
    assert exc.value.code == "allocation_exceeded"


def test_inactive_project_is_refused(backend, project, researcher):
    project.active = False
    project.save()
    with pytest.raises(DomainError) as exc:
        book(backend, project, researcher, at(1), at(2))
    assert exc.value.extra["rule"] == "project_inactive"


def test_end_before_start_is_a_validation_error(backend, project, researcher):
    with pytest.raises(ValidationError):
        book(backend, project, researcher, at(2), at(1))


def test_timely_cancellation_refunds(backend, project, researcher, allocation):
    booking = book(backend, project, researcher, at(30), at(32))
    preview = booking_cancel_preview(booking=booking)
    assert (preview.cancellable, preview.late, preview.refund_hours) == (True, False, Decimal("2.00"))
    booking = booking_cancel(booking=booking, by=researcher)
    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancel_reason == CancelReason.USER
    assert not booking.late_cancellation
    assert booking.charged_hours == 0
    assert assert_usage_matches_bookings(allocation).remaining_hours == Decimal("100.00")


def test_late_cancellation_keeps_the_charge(backend, project, researcher, allocation):
    booking = book(backend, project, researcher, at(10), at(12))
    assert booking_cancel_preview(booking=booking).late
    booking = booking_cancel(booking=booking, by=researcher)
    assert booking.late_cancellation
    assert booking.charged_hours == Decimal("2.00")
    assert assert_usage_matches_bookings(allocation).remaining_hours == Decimal("98.00")


def test_cutoff_is_exactly_free_cancel_hours_before_start(backend, project, researcher):
    booking = book(backend, project, researcher, at(24), at(25))
    assert not booking_cancel_preview(booking=booking, now=NOW).late
    assert booking_cancel_preview(booking=booking, now=NOW + datetime.timedelta(seconds=1)).late


def test_cancel_refuses_finished_and_cancelled(backend, project, researcher, facility_manager):
    past = book(backend, project, researcher, at(-5), at(-4), created_by=facility_manager, override_policy=True)
    with pytest.raises(DomainError) as exc:
        booking_cancel(booking=past, by=researcher)
    assert exc.value.code == "not_cancellable"
    future = book(backend, project, researcher, at(30), at(31))
    booking_cancel(booking=future, by=researcher)
    with pytest.raises(DomainError) as exc:
        booking_cancel(booking=future, by=researcher)
    assert exc.value.code == "not_cancellable"


def test_only_owner_pi_or_staff_cancel(backend, make_project, researcher):
    colleague, pi = UserFactory(), UserFactory()
    project = make_project(code="TEAM-1", pi=pi, members=[researcher, colleague])
    booking = book(backend, project, researcher, at(30), at(31))
    with pytest.raises(PermissionDenied):
        booking_cancel(booking=booking, by=colleague)
    assert booking_cancel(booking=booking, by=pi).status == BookingStatus.CANCELLED


def test_approval_flow(backend, project, researcher, facility_manager, allocation):
    booking_policy_update(backend=backend, approval_over_minutes=60)
    short = book(backend, project, researcher, at(1), at(2))
    assert short.status == BookingStatus.CONFIRMED
    long = book(backend, project, researcher, at(3), at(5))
    assert long.status == BookingStatus.PENDING
    with pytest.raises(DomainError) as exc:  # pending holds its time
        book(backend, project, researcher, at(4), at(4.5))
    assert exc.value.code == "booking_conflict"
    with pytest.raises(PermissionDenied):
        booking_approve(booking=long, by=researcher)
    approved = booking_approve(booking=long, by=facility_manager)
    assert approved.status == BookingStatus.CONFIRMED
    assert approved.approved_by == facility_manager
    with pytest.raises(DomainError) as exc:
        booking_approve(booking=long, by=facility_manager)
    assert exc.value.code == "invalid_transition"
    third = book(backend, project, researcher, at(6), at(8))
    rejected = booking_reject(booking=third, by=facility_manager)
    assert rejected.status == BookingStatus.CANCELLED
    assert rejected.cancel_reason == CancelReason.REJECTED
    assert rejected.charged_hours == 0
    assert_usage_matches_bookings(allocation)


def test_staff_bookings_skip_approval(backend, project, researcher, facility_manager):
    booking_policy_update(backend=backend, approval_over_minutes=60)
    booking = book(backend, project, researcher, at(3), at(5), created_by=facility_manager)
    assert booking.status == BookingStatus.CONFIRMED


def test_pending_cancellation_is_always_refunded(backend, project, researcher):
    booking_policy_update(backend=backend, approval_over_minutes=60)
    booking = book(backend, project, researcher, at(3), at(5))
    assert booking_cancel(booking=booking, by=researcher).charged_hours == 0


def test_weekly_series_creates_what_fits(backend, project, researcher, facility_manager):
    book(backend, project, researcher, at(1, days=14), at(2, days=14))
    result = booking_series_create(
        backend=backend, project=project, user=researcher, starts_at=at(1), ends_at=at(2), freq="weekly", count=5
    )
    assert [b.starts_at for b in result.created] == [at(1), at(1, days=7), at(1, days=21)]
    assert [(s["start"], s["code"]) for s in result.skipped] == [
        (at(1, days=14), "booking_conflict"),
        (at(1, days=28), "policy_violation"),
    ]
    assert len({b.series for b in result.created}) == 1


def test_daily_series_until_a_date(backend, project, researcher):
    result = booking_series_create(
        backend=backend,
        project=project,
        user=researcher,
        starts_at=at(1),
        ends_at=at(2),
        freq="daily",
        until=datetime.date(2026, 3, 5),
    )
    assert len(result.created) == 4
    assert result.skipped == []


def test_series_needs_count_or_until(backend, project, researcher):
    with pytest.raises(ValidationError):
        booking_series_create(
            backend=backend, project=project, user=researcher, starts_at=at(1), ends_at=at(2), freq="daily"
        )


def test_sweeper_marks_completed_and_no_show(backend, project, researcher, facility_manager):
    used = book(backend, project, researcher, at(-5), at(-4), created_by=facility_manager, override_policy=True)
    unused = book(backend, project, researcher, at(-3), at(-2), created_by=facility_manager, override_policy=True)
    queued_only = book(backend, project, researcher, at(-2), at(-1), created_by=facility_manager, override_policy=True)
    running = book(backend, project, researcher, NOW, at(1))
    Job.objects.create(
        backend=backend,
        project=project,
        user=researcher,
        booking=used,
        qasm="x",
        submitted_at=at(-4.9),
        started_at=at(-4.8),
    )
    Job.objects.create(
        backend=backend, project=project, user=researcher, booking=queued_only, qasm="x", submitted_at=at(-1.5)
    )
    assert booking_sweep() == {"completed": 1, "no_show": 2, "expired": 0}
    statuses = dict(Booking.objects.values_list("pk", "status"))
    assert statuses[used.pk] == BookingStatus.COMPLETED
    assert statuses[unused.pk] == BookingStatus.NO_SHOW
    assert statuses[queued_only.pk] == BookingStatus.NO_SHOW
    assert statuses[running.pk] == BookingStatus.CONFIRMED
    assert booking_sweep() == {"completed": 0, "no_show": 0, "expired": 0}
    assert Booking.objects.get(pk=unused.pk).charged_hours == Decimal("1.00")  # no-show keeps the charge


def test_sweeper_expires_unapproved_requests(backend, project, researcher):
    booking_policy_update(backend=backend, approval_over_minutes=30)
    pending = book(backend, project, researcher, at(1), at(2))
    assert booking_sweep(now=at(3))["expired"] == 1
    pending.refresh_from_db()
    assert (pending.status, pending.charged_hours) == (BookingStatus.CANCELLED, 0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint exists only on PostgreSQL")
def test_exclusion_constraint_refuses_overlap_written_around_the_service(backend, project, researcher):
    first = book(backend, project, researcher, at(1), at(2))
    clone = Booking(
        backend=backend,
        project=project,
        user=researcher,
        starts_at=at(1.5),
        ends_at=at(2.5),
        allocation=first.allocation,
    )
    with pytest.raises(IntegrityError, match="booking_no_overlap"), transaction.atomic():
        clone.save()
    clone.status = BookingStatus.CANCELLED
    clone.cancelled_at = NOW
    clone.save()  # cancelled rows do not hold time


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint exists only on PostgreSQL")
def test_integrity_error_from_the_constraint_maps_to_booking_conflict(backend, project, researcher, monkeypatch):
    book(backend, project, researcher, at(1), at(2))
    import scheduling.services.bookings.create as bookings_module

    calls = []

    def blind(**kwargs):  # the service check misses the overlap: the constraint must still catch it
        calls.append(kwargs)
        return [] if len(calls) == 1 else bookings_module.__dict__["_real_conflicts"](**kwargs)

    monkeypatch.setitem(bookings_module.__dict__, "_real_conflicts", bookings_module.booking_conflict_list)
    monkeypatch.setattr(bookings_module, "booking_conflict_list", blind)
    with pytest.raises(DomainError) as exc:
        book(backend, project, researcher, at(1.5), at(2.5))
    assert exc.value.code == "booking_conflict"
    assert exc.value.extra["conflicts"][0]["kind"] == "booking"
    assert Booking.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint exists only on PostgreSQL")
def test_a_constraint_refusal_inside_a_series_skips_that_occurrence_and_keeps_the_rest(
    backend, project, researcher, monkeypatch
):
    """The booking's transaction is a savepoint inside the series: its rollback leaves the series usable."""
    taken = book(backend, project, researcher, at(25), at(26))  # the second daily occurrence's time
    import scheduling.services.bookings.create as bookings_module

    real = bookings_module.booking_conflict_list
    calls = []

    def blind(**kwargs):  # the check under the lock misses the overlap once: the constraint catches it
        calls.append(kwargs)
        return [] if len(calls) == 2 else real(**kwargs)

    monkeypatch.setattr(bookings_module, "booking_conflict_list", blind)
    result = booking_series_create(
        backend=backend, project=project, user=researcher, starts_at=at(1), ends_at=at(2), freq="daily", count=3
    )
    assert [b.starts_at for b in result.created] == [at(1), at(49)]
    assert [(s["start"], s["code"]) for s in result.skipped] == [(at(25), "booking_conflict")]
    assert Booking.objects.filter(series=result.series).count() == 2
    assert Booking.objects.exclude(pk=taken.pk).filter(starts_at=at(25)).count() == 0
