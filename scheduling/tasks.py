"""Celery tasks of the scheduling app: thin wrappers around services (ids in, never model instances)."""

from __future__ import annotations

from celery import shared_task

from scheduling.services.bookings import booking_reminders_send, booking_sweep, waitlist_expire
from scheduling.services.notifications import booking_notify


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def booking_notify_task(booking_id: int, kind: str) -> None:
    """E-mail the booking's user about it (confirmed, pending, approved, rejected, cancelled, reminder, booked
    from the waitlist)."""
    booking_notify(booking_id=booking_id, kind=kind)


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def booking_sweep_task() -> dict[str, int]:
    """Beat: mark ended bookings completed or no-show."""
    return booking_sweep()


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def booking_reminders_task() -> int:
    """Beat: e-mail the 24-hour reminders (each booking once)."""
    return booking_reminders_send()


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def waitlist_expire_task() -> int:
    """Beat: waitlist entries whose start has passed become expired."""
    return waitlist_expire()


# ---- jobs (issue 6, owned by the jobs engineer): begin --------------------------------------------------
from scheduling.services.jobs import job_cancel_expired, job_execute, job_publish_stale  # noqa: E402


@shared_task(name="scheduling.tasks.job_execute_task", acks_late=True, reject_on_worker_lost=True)
def job_execute_task(job_id: int, token: str) -> str:
    """Run one delivery of a job on the simulated backend (routed to the `qpu` queue by name)."""
    return job_execute(job_id=job_id, token=token).value


@shared_task(name="scheduling.tasks.job_cancel_expired_task", acks_late=True, reject_on_worker_lost=True)
def job_cancel_expired_task() -> int:
    """Sweeper: cancel queued jobs whose booking ended (reason `booking_ended`)."""
    return job_cancel_expired()


@shared_task(name="scheduling.tasks.job_publish_stale_task", acks_late=True, reject_on_worker_lost=True)
def job_publish_stale_task() -> int:
    """Sweeper: publish again jobs whose broker message was lost (never sent, overdue, or abandoned runs)."""
    return job_publish_stale()


# ---- jobs (issue 6): end --------------------------------------------------------------------------------
