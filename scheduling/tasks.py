"""Celery tasks of the scheduling app: thin wrappers around services (ids in, never model instances)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.worker.state import revoked
from django.db import InterfaceError, OperationalError

from scheduling.services.bookings import booking_reminders_send, booking_sweep, waitlist_expire
from scheduling.services.jobs import job_cancel_expired, job_execute, job_publish_stale, job_recover_stranded
from scheduling.services.notifications import booking_notify


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def booking_notify_task(booking_id: int, kind: str) -> None:
    """E-mail the booking's user about it (confirmed, pending, approved, rejected, cancelled, reminder, booked
    from the waitlist)."""
    booking_notify(booking_id=booking_id, kind=kind)


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def booking_sweep_task() -> dict[str, int]:
    """Beat: mark ended bookings completed or no-show (their queued and running jobs cancelled)."""
    return booking_sweep()


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def booking_reminders_task() -> int:
    """Beat: e-mail the 24-hour reminders (each booking once)."""
    return booking_reminders_send()


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def waitlist_expire_task() -> int:
    """Beat: waitlist entries whose start has passed become expired."""
    return waitlist_expire()


# A job's delivery that meets the database unreachable (a restart, a failover) is tried again after 1, 2, 4 ... and
# then 60 s (Celery's backoff, with jitter), for up to about nine minutes, rather than left to the lost-message sweep
# (job_publish_stale, after more than an hour).
# The retry carries the same token: a job claimed before the failure is taken over, its run counted (job_execute).
JOB_DATABASE_RETRIES = 14


@shared_task(
    name="scheduling.tasks.job_execute_task",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=JOB_DATABASE_RETRIES,
)
def job_execute_task(self: Any, job_id: int, token: str) -> str:
    """Run one delivery of a job on the simulated backend (routed to the `qpu` queue by name)."""
    return job_execute(job_id=job_id, token=token, worker=self.request.hostname, settled=_discard).value


def _discard(message_ids: list[str]) -> None:
    """The messages of the other jobs of a pass are discarded unread when they arrive (Celery's revoked tasks of
    this worker process, kept for three hours): each would only read that its job ran. This takes effect in the
    README's solo qpu worker, whose process receives the messages; a pool process's list is its own."""
    for message_id in message_ids:
        revoked.add(message_id)


@shared_task(name="scheduling.tasks.job_cancel_expired_task", acks_late=True, reject_on_worker_lost=True)
def job_cancel_expired_task() -> int:
    """Sweeper: cancel queued and running jobs whose booking ended or was cancelled."""
    return job_cancel_expired()


@shared_task(name="scheduling.tasks.job_publish_stale_task", acks_late=True, reject_on_worker_lost=True)
def job_publish_stale_task() -> int:
    """Sweeper: publish again queued jobs whose broker message was lost (never sent, or overdue)."""
    return job_publish_stale()


@shared_task(name="scheduling.tasks.job_recover_stranded_task", acks_late=True, reject_on_worker_lost=True)
def job_recover_stranded_task() -> dict[str, int]:
    """Beat, every 30 s: re-queue (or fail, `worker_lost`) running jobs whose worker's heartbeat is gone."""
    return job_recover_stranded()
