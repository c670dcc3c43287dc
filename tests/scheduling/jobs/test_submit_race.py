"""Job submission against booking cancellation (DESIGN.md 3.4; issue 15 point 4): submission re-reads its booking
under the row lock that cancellation takes, after the circuit is compiled, so a job is never accepted onto a
cancelled booking. PostgreSQL (row locks); threads, each with its own connection."""

from __future__ import annotations

import threading
import time
from unittest import mock

import pytest
from django.db import connection, transaction

from core.errors import DomainError
from scheduling.choices import PENDING_JOB_STATUSES, BookingStatus, JobErrorCode, JobStatus
from scheduling.models import Booking, Job
from scheduling.services import booking_cancel
from scheduling.services.jobs import job_submit
from scheduling.tasks import job_execute_task
from tests.factories import BookingFactory, ghz

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL only")

ROUNDS = 8


@pytest.fixture(autouse=True)
def published():
    """Accepted jobs stay queued (their message is captured, not run eagerly)."""
    with mock.patch.object(job_execute_task, "apply_async") as apply_async:
        yield apply_async


def _in_thread(target, *args):
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(target(*args))
        except Exception as exc:  # the outcome is what the test looks at
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_submission_waits_for_a_cancellation_holding_the_lock_and_is_then_refused(transactional_db, world):
    locked, release = threading.Event(), threading.Event()

    def cancel() -> None:
        with transaction.atomic():
            booking_cancel(booking=Booking.objects.get(pk=world.booking.pk), by=world.member)
            locked.set()
            release.wait(timeout=30)  # the booking row stays locked, cancelled but not committed

    canceller, _ = _in_thread(cancel)
    assert locked.wait(timeout=30)
    started = time.monotonic()
    threading.Timer(1.0, release.set).start()
    with pytest.raises(DomainError) as refused:
        job_submit(user=world.member, backend=world.backend, project=world.project, qasm=ghz(3), shots=100)
    waited = time.monotonic() - started
    canceller.join(timeout=30)
    assert refused.value.code == "no_active_booking"
    assert waited >= 0.9  # it waited on the row lock, then read the booking as cancelled
    assert not Job.objects.exists()


def test_submissions_racing_cancellations_never_leave_a_job_on_a_cancelled_booking(transactional_db, world):
    accepted = refused = 0
    for round_ in range(ROUNDS):
        # Each round's booking is cancelled by its end, so the next one may hold the same time.
        booking = (
            world.booking
            if round_ == 0
            else BookingFactory(backend=world.backend, project=world.project, user=world.member, in_progress=True)
        )
        barrier = threading.Barrier(2)

        def submit(booking=booking, barrier=barrier):
            barrier.wait(timeout=30)
            return job_submit(
                user=world.member, backend=world.backend, project=world.project, qasm=ghz(3), shots=100, booking=booking
            )

        def cancel(booking=booking, barrier=barrier, delay=0.01 * round_):
            barrier.wait(timeout=30)
            time.sleep(delay)  # the cancellation lands at a different point of the submission each round
            return booking_cancel(booking=Booking.objects.get(pk=booking.pk), by=world.member)

        threads = [_in_thread(submit), _in_thread(cancel)]
        for thread, _ in threads:
            thread.join(timeout=60)
        (submitted,), (cancelled,) = threads[0][1], threads[1][1]
        assert isinstance(cancelled, Booking), cancelled
        if isinstance(submitted, Job):
            accepted += 1
            # Accepted before the cancellation took the lock: the cancellation then cancelled it.
            submitted.refresh_from_db()
            assert (submitted.status, submitted.error_code) == (JobStatus.CANCELLED, JobErrorCode.BOOKING_CANCELLED)
        else:
            assert isinstance(submitted, DomainError), submitted
            assert submitted.code == "no_active_booking"
            refused += 1
    assert not Job.objects.filter(booking__status=BookingStatus.CANCELLED, status__in=PENDING_JOB_STATUSES).exists()
    assert accepted + refused == ROUNDS
