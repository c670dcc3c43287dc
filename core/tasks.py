"""Celery tasks of the shared layer: thin wrappers around its functions."""

from celery import shared_task

from core.heartbeat import worker_heartbeat_record


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def worker_heartbeat_task(hostname: str | None = None) -> None:
    """Write this worker's heartbeat to the database."""
    worker_heartbeat_record(hostname=hostname)
