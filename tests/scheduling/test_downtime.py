"""Maintenance windows cancel and refund; outages refuse near-term bookings and credit lost time once."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.errors import DomainError
from scheduling.choices import BookingStatus, CancelReason, MaintenanceKind, OutageSeverity
from scheduling.models import Booking, MaintenanceWindow
from scheduling.services import (
    booking_create,
    maintenance_window_create,
    maintenance_window_update,
    outage_create,
    outage_credit,
    outage_update,
)
from tests.support import assert_usage_matches_bookings, at, book

pytestmark = pytest.mark.usefixtures("now")


def window(backend, start, end, **kwargs):
    return maintenance_window_create(
        backend=backend, starts_at=start, ends_at=end, kind=MaintenanceKind.CALIBRATION, title="Recalibration", **kwargs
    )


def test_maintenance_window_cancels_refunds_and_emails(
    backend, project, researcher, allocation, mailoutbox, django_capture_on_commit_callbacks
):
    inside = book(backend, project, researcher, at(10), at(12), notify=False)
    edge = book(backend, project, researcher, at(13), at(14), notify=False)
    outside = book(backend, project, researcher, at(14), at(15), notify=False)
    with django_capture_on_commit_callbacks(execute=True):
        result = window(backend, at(11), at(14))
    assert result.cancelled_bookings == sorted([inside.pk, edge.pk])
    for booking in (inside, edge):
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED
        assert booking.cancel_reason == CancelReason.MAINTENANCE
        assert booking.charged_hours == 0
        assert not booking.late_cancellation
    outside.refresh_from_db()
    assert outside.status == BookingStatus.CONFIRMED
    assert assert_usage_matches_bookings(allocation).charged_hours == Decimal("1.00")
    assert len(mailoutbox) == 2
    assert "maintenance" in mailoutbox[0].subject
    assert mailoutbox[0].to == [researcher.email]


def test_extending_a_window_cancels_newly_covered_bookings(backend, project, researcher):
    result = window(backend, at(10), at(11))
    later = book(backend, project, researcher, at(11), at(12))
    extended = maintenance_window_update(window=result.window, ends_at=at(12))
    assert extended.cancelled_bookings == [later.pk]


def test_window_with_end_before_start_changes_nothing(backend, project, researcher):
    booking = book(backend, project, researcher, at(10), at(12))
    with pytest.raises(ValidationError):
        window(backend, at(12), at(10))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert not MaintenanceWindow.objects.exists()


def test_maintenance_blocks_new_bookings(backend, project, researcher):
    window(backend, at(10), at(12))
    with pytest.raises(DomainError) as exc:
        book(backend, project, researcher, at(11), at(13))
    assert exc.value.code == "maintenance_conflict"
    assert exc.value.extra["conflicts"] == [
        {"start": "2026-03-02T10:00:00Z", "end": "2026-03-02T12:00:00Z", "kind": "maintenance"}
    ]


def test_conflicts_list_bookings_and_maintenance_together(backend, project, researcher):
    book(backend, project, researcher, at(9), at(10))
    window(backend, at(10), at(12))
    with pytest.raises(DomainError) as exc:
        book(backend, project, researcher, at(9.5), at(11))
    assert exc.value.code == "booking_conflict"
    assert [c["kind"] for c in exc.value.extra["conflicts"]] == ["booking", "maintenance"]


def test_ongoing_outage_refuses_bookings_starting_within_the_hour(backend, project, researcher):
    outage_create(backend=backend, starts_at=at(-2), severity=OutageSeverity.MAJOR)
    with pytest.raises(DomainError) as exc:
        book(backend, project, researcher, at(0.75), at(1.75))
    assert exc.value.code == "maintenance_conflict"
    assert exc.value.extra["conflicts"] == [{"start": "2026-03-01T22:00:00Z", "end": None, "kind": "outage"}]
    assert book(backend, project, researcher, at(1), at(2)).pk  # an hour ahead is allowed
    assert Booking.objects.count() == 1


def test_closing_an_outage_credits_lost_time_once(backend, project, researcher, allocation, facility_manager):
    hit = booking_create(
        backend=backend,
        project=project,
        user=researcher,
        starts_at=at(-3),
        ends_at=at(-1),
        created_by=facility_manager,
        override_policy=True,
    )
    spared = booking_create(
        backend=backend,
        project=project,
        user=researcher,
        starts_at=at(-6),
        ends_at=at(-5),
        created_by=facility_manager,
        override_policy=True,
    )
    outage = outage_create(backend=backend, starts_at=at(-2), severity=OutageSeverity.CRITICAL)
    assert outage.credited_at is None
    outage = outage_update(outage=outage, ends_at=at(-0.5), resolution="Fixed")
    assert outage.credited_at is not None
    hit.refresh_from_db()
    spared.refresh_from_db()
    assert (hit.charged_hours, hit.credited_hours) == (Decimal("1.00"), Decimal("1.00"))
    assert (spared.charged_hours, spared.credited_hours) == (Decimal("1.00"), Decimal("0"))
    assert outage_credit(outage=outage) == []  # never twice
    outage_update(outage=outage, resolution="Fixed for good")
    hit.refresh_from_db()
    assert hit.credited_hours == Decimal("1.00")
    assert assert_usage_matches_bookings(allocation).charged_hours == Decimal("2.00")


def test_outage_recorded_closed_credits_at_once(backend, project, researcher, facility_manager):
    booking = booking_create(
        backend=backend,
        project=project,
        user=researcher,
        starts_at=at(-3),
        ends_at=at(-2),
        created_by=facility_manager,
        override_policy=True,
    )
    outage_create(backend=backend, starts_at=at(-4), ends_at=at(-1), severity=OutageSeverity.MINOR)
    booking.refresh_from_db()
    assert (booking.charged_hours, booking.credited_hours) == (Decimal("0.00"), Decimal("1.00"))
