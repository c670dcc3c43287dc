"""Celery tasks of the reports app (routed to the `reports` queue): thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from reports.services import report_generate, report_request_monthly, report_requeue_stale


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def report_generate_task(report_id: int) -> None:
    """Compute one report's snapshot (a no-op if another delivery already claimed it)."""
    report_generate(report_id=report_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def report_requeue_stale_task() -> None:
    """Beat: queue again reports whose worker or message was lost."""
    report_requeue_stale()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def report_monthly_task(kind: str, time_zone: str | None = None) -> None:
    """Beat, on the 1st at 02:00 site time: last month's report, e-mailed as PDF."""
    report_request_monthly(kind=kind, time_zone=time_zone)
