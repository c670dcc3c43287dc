"""Ending jobs that will not complete: cancelled by their owner or with their booking, failed by an outage, a
time limit or lost workers; and the sweepers that find jobs whose message or worker was lost."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.models import WorkerHeartbeat
from scheduling.choices import PENDING_JOB_STATUSES, BookingStatus, JobCancelReason, JobErrorCode, JobStatus
from scheduling.models import Backend, Booking, Job
from scheduling.services.jobs.publish import job_publish

# A queued job whose live message is older than its longest possible eta plus slack lost that message.
LOST_MESSAGE_AFTER = timedelta(hours=1, minutes=10)
# A queued job never handed to the broker (it was down at submit time) is published again after this.
UNPUBLISHED_AFTER = timedelta(minutes=1)
# A running job whose worker has not been heard of for this long is stranded (the worker beats every 5 s while it
# runs a job; the recovery sweeper runs every 30 s, so a dead worker's job is noticed within a minute).
STRANDED_AFTER = timedelta(seconds=30)

_CANCELLING = {
    JobErrorCode.CANCELLED_BY_USER: JobCancelReason.USER,
    JobErrorCode.BOOKING_ENDED: JobCancelReason.BOOKING_ENDED,
    JobErrorCode.BOOKING_CANCELLED: JobCancelReason.BOOKING_ENDED,
}


def job_finish_badly(code: JobErrorCode, *, jobs: QuerySet[Job], error: str = "", now: datetime | None = None) -> int:
    """Fail or cancel (by `code`) those of `jobs` still queued or running (a compare-and-set: e.g. on the
    `attempts` a run claimed); the count. A cancelled or failed job keeps no counts; a running one is stopped by
    its worker, which polls its row.

    A job never finishes before it was submitted: a cancellation that read the time before it waited for the
    booking's lock finishes the jobs submitted meanwhile at their submission time."""
    reason = _CANCELLING.get(code)
    finished = Greatest(Value(now or timezone.now(), output_field=DateTimeField()), F("submitted_at"))
    return jobs.filter(status__in=PENDING_JOB_STATUSES).update(
        status=JobStatus.FAILED if reason is None else JobStatus.CANCELLED,
        cancel_reason=reason or "",
        error_code=code,
        error=error,
        finished_at=finished,
        counts=None,
        worker="",
    )


@transaction.atomic
def job_cancel(*, job: Job) -> Job:
    """Cancel a queued or running job (`cancelled_by_user`); a running one is stopped within seconds.
    DomainError `not_cancellable` once it has finished."""
    if not job_finish_badly(JobErrorCode.CANCELLED_BY_USER, jobs=Job.objects.filter(pk=job.pk)):
        job.refresh_from_db()
        raise DomainError(
            _("Only a queued or running job can be cancelled; this one is %(status)s.")
            % {"status": job.get_status_display()},
            code="not_cancellable",
            status=job.status,
        )
    job.refresh_from_db()
    return job


def job_cancel_for_bookings(*, bookings: Iterable[int], code: JobErrorCode, now: datetime | None = None) -> int:
    """Cancel the queued jobs of these bookings and stop their running ones (`booking_cancelled`, `booking_ended`);
    called in the transaction that cancels or ends the bookings."""
    return job_finish_badly(code, jobs=Job.objects.filter(booking_id__in=bookings), now=now)


def job_fail_for_outage(*, backend: Backend, now: datetime | None = None) -> int:
    """An outage began: the backend's running job is stopped and failed (`outage`); queued jobs are held."""
    message = _("An outage of the backend interrupted the job.")
    running = Job.objects.filter(backend=backend, status=JobStatus.RUNNING)
    return job_finish_badly(JobErrorCode.OUTAGE, jobs=running, error=message, now=now)


def job_cancel_expired(*, now: datetime | None = None) -> int:
    """Cancel every queued or running job whose booking ended (`booking_ended`) or was cancelled
    (`booking_cancelled`); the count."""
    now = now or timezone.now()
    cancelled = Booking.objects.filter(status=BookingStatus.CANCELLED).values("pk")
    ended = Booking.objects.filter(
        ~Q(status__in=[BookingStatus.CONFIRMED, BookingStatus.CANCELLED]) | Q(ends_at__lte=now)
    )
    return job_finish_badly(
        JobErrorCode.BOOKING_CANCELLED, jobs=Job.objects.filter(booking__in=cancelled), now=now
    ) + job_finish_badly(JobErrorCode.BOOKING_ENDED, jobs=Job.objects.filter(booking__in=ended.values("pk")), now=now)


def job_publish_stale(*, now: datetime | None = None) -> int:
    """Publish again the queued jobs whose message was lost: never sent, or long overdue."""
    now = now or timezone.now()
    stale = Job.objects.filter(
        Q(status=JobStatus.QUEUED, enqueued_at__isnull=True, submitted_at__lt=now - UNPUBLISHED_AFTER)
        | Q(status=JobStatus.QUEUED, enqueued_at__lt=now - LOST_MESSAGE_AFTER)
    ).select_related("booking")
    return sum(job_publish(job_id=job.pk, eta=job.booking.starts_at) for job in stale)


def job_recover_stranded(*, now: datetime | None = None) -> dict[str, int]:
    """Running jobs whose worker is gone (no heartbeat for STRANDED_AFTER): back to the queue and published again,
    or failed (`worker_lost`) once they have run QPU_JOB_MAX_ATTEMPTS times."""
    now = now or timezone.now()
    alive = WorkerHeartbeat.objects.filter(hostname=OuterRef("worker"), seen_at__gte=now - STRANDED_AFTER)
    stranded = Job.objects.filter(status=JobStatus.RUNNING, started_at__lt=now - STRANDED_AFTER).exclude(Exists(alive))
    requeued = lost = 0
    for pk, attempts in stranded.values_list("pk", "attempts"):
        if attempts >= settings.QPU_JOB_MAX_ATTEMPTS:
            message = _("The job's worker died during %(n)s runs; it is not run again.") % {"n": attempts}
            run = Job.objects.filter(pk=pk, attempts=attempts)
            lost += job_finish_badly(JobErrorCode.WORKER_LOST, jobs=run, error=message, now=now)
            continue
        # Back to the queue (attempts kept): its worker, were it alive after all, sees the change and stops.
        back = Job.objects.filter(pk=pk, status=JobStatus.RUNNING, attempts=attempts).update(
            status=JobStatus.QUEUED, worker=""
        )
        if back:
            requeued += 1
            job_publish(job_id=pk)
    return {"requeued": requeued, "worker_lost": lost}
