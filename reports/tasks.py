"""Celery tasks of the reports app (routed to the `reports` queue): thin wrappers around services."""

from __future__ import annotations

from celery import Task, shared_task

from reports.services import (
    job_days_seal,
    report_files_render,
    report_generate,
    report_request_monthly,
    report_requeue_stale,
)


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def report_generate_task(self: Task, report_id: int) -> None:  # type: ignore[type-arg]
    """Compute one report's snapshot (a no-op if another delivery already claimed it)."""
    # The broker marks a message it hands back after losing its worker: that delivery may take over the run.
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    report_generate(report_id=report_id, redelivered=redelivered)


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def report_files_render_task(report_id: int) -> None:
    """Render and store the files of a succeeded report that lacks them (a no-op once they are there)."""
    report_files_render(report_id=report_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def report_requeue_stale_task() -> None:
    """Beat: queue again reports whose worker or message was lost."""
    report_requeue_stale()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def report_monthly_task(kind: str, time_zone: str | None = None) -> None:
    """Beat, on the 1st at 02:00 site time: last month's report, e-mailed as PDF."""
    report_request_monthly(kind=kind, time_zone=time_zone)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def job_days_seal_task() -> dict[str, int]:
    """Beat, nightly: seal the days that are over, so reports read their rollups instead of every job."""
    return job_days_seal()
