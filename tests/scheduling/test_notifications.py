"""E-mails: templated, in the user's language, reminders sent once."""

import pytest

from scheduling.services import booking_approve, booking_policy_update, booking_reject, booking_reminders_send
from tests.support import at, book

pytestmark = pytest.mark.usefixtures("now")


def test_confirmation_email_after_commit(backend, project, researcher, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        book(backend, project, researcher, at(1), at(2))
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [researcher.email]
    assert "confirmed" in message.subject
    assert "CBQRC-2026-01" in message.body
    assert "2026-03-02 10:00 KST" in message.body  # the user's time zone (Asia/Seoul)


def test_email_in_the_users_language(backend, project, researcher, mailoutbox, django_capture_on_commit_callbacks):
    researcher.language = "ko"
    researcher.save()
    with django_capture_on_commit_callbacks(execute=True):
        book(backend, project, researcher, at(1), at(2))
    assert len(mailoutbox) == 1  # rendered under translation.override("ko") without error


def test_pending_approved_and_rejected_emails(
    backend, project, researcher, facility_manager, mailoutbox, django_capture_on_commit_callbacks
):
    booking_policy_update(backend=backend, approval_over_minutes=60)
    with django_capture_on_commit_callbacks(execute=True):
        first = book(backend, project, researcher, at(1), at(3))
        second = book(backend, project, researcher, at(4), at(6))
        booking_approve(booking=first, by=facility_manager)
        booking_reject(booking=second, by=facility_manager)
    subjects = [m.subject for m in mailoutbox]
    assert sum("awaits approval" in s for s in subjects) == 2
    assert any("approved" in s for s in subjects)
    assert any("declined" in s for s in subjects)


def test_reminder_sent_once_24h_before(backend, project, researcher, mailoutbox):
    soon = book(backend, project, researcher, at(20), at(21), notify=False)
    book(backend, project, researcher, at(30), at(31), notify=False)
    assert booking_reminders_send() == 1
    assert booking_reminders_send() == 0
    assert len(mailoutbox) == 1
    assert "Reminder" in mailoutbox[0].subject
    soon.refresh_from_db()
    assert soon.reminder_sent_at is not None
