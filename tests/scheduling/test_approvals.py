"""Approvals: the staff who may approve are e-mailed when a booking waits; a rejection keeps its reason, e-mails
it to the owner and is never marked approved (DESIGN.md 3.4, issue 17 point 4)."""

import pytest
from django.contrib.auth.models import Permission

from accounts.roles import OFFICE_STAFF, PROCUREMENT_OFFICERS
from scheduling.choices import BookingStatus, CancelReason
from scheduling.models import Booking
from scheduling.selectors import booking_approver_list
from scheduling.services import booking_approve, booking_policy_update, booking_reject
from tests.factories import StaffFactory, UserFactory
from tests.support import at, book

pytestmark = pytest.mark.usefixtures("now")

APPROVAL_SUBJECT = "Approval needed"


@pytest.fixture
def approval_needed(backend):
    booking_policy_update(backend=backend, approval_over_minutes=60)


def test_approvers_are_active_staff_holding_change_booking(db, facility_manager, superuser):
    direct = StaffFactory(username="direct")
    direct.user_permissions.add(Permission.objects.get(codename="change_booking"))
    StaffFactory(username="procurement", groups=[PROCUREMENT_OFFICERS])
    StaffFactory(username="office", groups=[OFFICE_STAFF])
    StaffFactory(username="gone", is_superuser=True, is_active=False)
    StaffFactory(username="no-address", is_superuser=True, email="")
    holder = UserFactory(username="not-staff")  # a permission given by hand does not make a researcher an approver
    holder.user_permissions.add(Permission.objects.get(codename="change_booking"))
    assert [u.username for u in booking_approver_list()] == ["fm", "root", "direct"]


def test_a_pending_booking_emails_every_approver_in_their_language(
    approval_needed, backend, project, researcher, facility_manager, superuser, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    superuser.language = "ko"
    superuser.save()
    StaffFactory(username="office", groups=[OFFICE_STAFF])
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(backend, project, researcher, at(1), at(3))
    assert booking.status == BookingStatus.PENDING
    staff_mail = {m.to[0]: m for m in mailoutbox if m.to != [researcher.email]}
    assert set(staff_mail) == {facility_manager.email, superuser.email}
    english = staff_mail[facility_manager.email]
    assert english.subject == f"{APPROVAL_SUBJECT}: a booking on Spark for CBQRC-2026-01"
    assert "2026-03-02 10:00 KST" in english.body  # the approver's time zone
    assert researcher.display_name in english.body
    korean = staff_mail[superuser.email]
    assert "승인" in korean.subject
    # The owner gets their own "awaits approval" e-mail, not the staff one.
    owner_mail = [m for m in mailoutbox if m.to == [researcher.email]]
    assert [m.subject for m in owner_mail] == ["Booking on Spark awaits approval"]


def test_a_confirmed_booking_emails_no_approver(
    backend, project, researcher, facility_manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        book(backend, project, researcher, at(1), at(3))
    assert [m.to for m in mailoutbox] == [[researcher.email]]


def test_reject_keeps_the_reason_emails_it_and_is_never_approved(
    approval_needed, backend, project, researcher, facility_manager, mailoutbox, django_capture_on_commit_callbacks
):
    booking = book(backend, project, researcher, at(1), at(3), notify=False)
    with django_capture_on_commit_callbacks(execute=True):
        rejected = booking_reject(booking=booking, by=facility_manager, reason="  The QPU is reserved for a class.  ")
    stored = Booking.objects.get(pk=booking.pk)
    assert (stored.status, stored.cancel_reason) == (BookingStatus.CANCELLED, CancelReason.REJECTED)
    assert stored.rejection_reason == rejected.rejection_reason == "The QPU is reserved for a class."
    assert stored.approved_at is None
    assert stored.approved_by is None
    assert stored.charged_hours == 0
    [message] = mailoutbox
    assert message.to == [researcher.email]
    assert "declined" in message.subject
    assert "Reason: The QPU is reserved for a class." in message.body


def test_reject_without_a_reason_says_none(
    approval_needed, backend, project, researcher, facility_manager, mailoutbox, django_capture_on_commit_callbacks
):
    booking = book(backend, project, researcher, at(1), at(3), notify=False)
    with django_capture_on_commit_callbacks(execute=True):
        booking_reject(booking=booking, by=facility_manager)
    assert Booking.objects.get(pk=booking.pk).rejection_reason == ""
    assert "Reason:" not in mailoutbox[0].body


def test_only_approval_sets_approved_at(approval_needed, backend, project, researcher, facility_manager):
    booking = book(backend, project, researcher, at(1), at(3), notify=False)
    assert booking.approved_at is None
    approved = booking_approve(booking=booking, by=facility_manager)
    assert approved.approved_at is not None
    assert approved.approved_by == facility_manager
    assert approved.rejection_reason == ""


def test_api_reject_takes_an_optional_reason(
    approval_needed, make_client, backend, project, researcher, facility_manager, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with_reason = book(backend, project, researcher, at(1), at(3), notify=False)
    without = book(backend, project, researcher, at(4), at(6), notify=False)
    staff = make_client(facility_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/api/v1/bookings/{with_reason.pk}/reject/", {"reason": "Calibration week."})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["rejection_reason"], body["approved_at"]) == ("cancelled", "Calibration week.", None)
    assert "Calibration week." in mailoutbox[-1].body
    response = staff.post(f"/api/v1/bookings/{without.pk}/reject/")
    assert (response.status_code, response.json()["rejection_reason"]) == (200, "")


def test_api_reject_refuses_an_overlong_reason_and_changes_nothing(
    approval_needed, make_client, backend, project, researcher, facility_manager
):
    booking = book(backend, project, researcher, at(1), at(3), notify=False)
    response = make_client(facility_manager).post(f"/api/v1/bookings/{booking.pk}/reject/", {"reason": "x" * 1001})
    assert response.status_code == 400
    assert "reason" in response.json()
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.PENDING
