"""Jobs: submission, execution on the simulated backend, cancellation and the sweepers (DESIGN.md 3.4).

Delivery tokens. Every message handed to the broker carries the time it was published, and the job's
`enqueued_at` holds the token of its one live message. Only that message may claim the job, by
compare-and-set on (status, token, attempts):

- a duplicate or superseded message (older token) does nothing;
- a message Celery redelivers because its worker died (acks_late + reject_on_worker_lost, or the broker's
  visibility timeout) carries the live token, so it re-claims the job left RUNNING and re-runs it;
- finishing is a second compare-and-set on the attempt number the run claimed, so if two deliveries ever
  run at once only the latest claim completes the job: never two completions.
"""

from __future__ import annotations

import enum
import logging
import os
import time
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from core.queue import task_by_name
from scheduling.calibration import calibration_from_record, timing_from_backend
from scheduling.choices import FINISHED_JOB_STATUSES, BookingStatus, JobCancelReason, JobStatus
from scheduling.models import MAX_SHOTS, Backend, Booking, Job, Project
from scheduling.selectors.calibrations import calibration_latest
from scheduling.selectors.jobs import (
    backend_holds_jobs,
    booking_get_for_job,
    booking_is_usable_for_jobs,
    membership_exists,
)
from scheduling.simulator import MAX_SEED, CalibrationError, CircuitError, prepare_circuit, run

logger = logging.getLogger(__name__)

DEFAULT_SHOTS = 1000
# An eta never lies further ahead than this: Redis redelivers a message held unacknowledged longer than its
# visibility timeout (2 h), so a job waiting days for its booking re-schedules itself hourly instead.
MAX_WAIT = timedelta(hours=1)
# How often a job held by an ongoing outage looks again.
HOLD_RECHECK = timedelta(minutes=1)
# A run older than this was abandoned (its worker and its message are gone): past Celery's hard time limit.
RUN_LEASE = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + timedelta(minutes=5)
# A queued job whose live message is older than its longest possible eta plus slack lost that message.
LOST_MESSAGE_AFTER = MAX_WAIT + timedelta(minutes=10)
# A queued job never handed to the broker (it was down at submit time) is published again after this.
UNPUBLISHED_AFTER = timedelta(minutes=1)
# Fault-injection tests only: seconds to sleep between claiming a job and simulating it.
TEST_DELAY_ENV = "QFR_TEST_JOB_DELAY_S"


class JobRunOutcome(enum.StrEnum):
    """What one delivery of a job's message did."""

    IGNORED = "ignored"  # no such job, already finished, or a stale message
    WAITING = "waiting"  # the booking has not started: re-scheduled for its start
    HELD = "held"  # ongoing outage: re-scheduled to look again
    CANCELLED = "cancelled"  # the booking ended first
    COMPLETED = "completed"
    FAILED = "failed"
    SUPERSEDED = "superseded"  # another delivery claimed the job while this one ran


def _invalid_circuit(exc: CircuitError) -> DomainError:
    return DomainError(
        _("The circuit cannot run on this backend."),
        code="invalid_circuit",
        errors=[{"line": i.line, "column": i.column, "message": i.message} for i in exc.issues],
    )


def _check_shots_and_seed(*, shots: int, seed: int | None) -> None:
    errors: dict[str, str] = {}
    if isinstance(shots, bool) or not isinstance(shots, int) or not 1 <= shots <= MAX_SHOTS:
        errors["shots"] = _("Shots must be a whole number from 1 to %(max)s.") % {"max": MAX_SHOTS}
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED):
        errors["seed"] = _("The seed must be a whole number from 0 to %(max)s.") % {"max": MAX_SEED}
    if errors:
        raise ValidationError(errors, code="invalid")


def job_circuit_validate(*, backend: Backend, qasm: str) -> None:
    """Parse and transpile the circuit for the backend; DomainError `invalid_circuit` listing every issue."""
    try:
        prepare_circuit(qasm, timing=timing_from_backend(backend))
    except CircuitError as exc:
        raise _invalid_circuit(exc) from exc


def job_submit(
    *,
    user: User,
    backend: Backend,
    project: Project,
    qasm: str,
    shots: int = DEFAULT_SHOTS,
    seed: int | None = None,
    name: str = "",
    booking: Booking | None = None,
) -> Job:
    """Queue a circuit in the project's booking in progress (or the next confirmed one, which it waits for)."""
    if not membership_exists(project=project, user=user):
        raise DomainError(_("You are not a member of this project."), code="not_member")
    _check_shots_and_seed(shots=shots, seed=seed)
    # Parse and transpile before anything is saved or queued, and outside the transaction: it takes CPU time.
    job_circuit_validate(backend=backend, qasm=qasm)
    return _job_create(
        user=user, backend=backend, project=project, qasm=qasm, shots=shots, seed=seed, name=name, booking=booking
    )


@transaction.atomic
def _job_create(
    *,
    user: User,
    backend: Backend,
    project: Project,
    qasm: str,
    shots: int,
    seed: int | None,
    name: str,
    booking: Booking | None,
) -> Job:
    now = timezone.now()
    if booking is not None:
        if booking.project_id != project.pk or booking.backend_id != backend.pk:
            raise ValidationError(
                {"booking": _("This is not a booking of the project on this backend.")}, code="booking_mismatch"
            )
        if not booking_is_usable_for_jobs(booking=booking, now=now):
            raise DomainError(
                _("This booking has ended or is not confirmed; jobs need a booking in progress or a future one."),
                code="no_active_booking",
            )
    else:
        booking = booking_get_for_job(project=project, backend=backend, now=now)
        if booking is None:
            raise DomainError(
                _("The project has no booking on this backend in progress or to come; book time first."),
                code="no_active_booking",
            )
    job = Job(
        backend=backend,
        project=project,
        user=user,
        booking=booking,
        name=name,
        qasm=qasm,
        shots=shots,
        seed=seed,
        status=JobStatus.QUEUED,
        submitted_at=now,
    )
    job.full_clean()
    job.save()
    transaction.on_commit(partial(job_publish, job_id=job.pk, eta=booking.starts_at))
    return job


def job_publish(*, job_id: int, eta: datetime | None = None, abandoned_before: datetime | None = None) -> bool:
    """Hand a queued job to the broker with a new delivery token (see the module docstring); False if not sent.

    With `abandoned_before`, a job left RUNNING since before then is published too, so that it re-runs.
    """
    job_execute_task = task_by_name("scheduling.tasks.job_execute_task")  # the tasks module imports this one
    token = timezone.now()
    if eta is not None:
        eta = None if eta <= token else min(eta, token + MAX_WAIT)
    claimable = Q(status=JobStatus.QUEUED)
    if abandoned_before is not None:
        claimable |= Q(status=JobStatus.RUNNING, started_at__lt=abandoned_before)
    # The token is stored before the message exists, so the message can never arrive before its token.
    if not Job.objects.filter(claimable, pk=job_id).update(enqueued_at=token):
        return False
    try:
        if eta is None:
            job_execute_task.apply_async(args=(job_id, token.isoformat()))
        else:
            job_execute_task.apply_async(args=(job_id, token.isoformat()), eta=eta)
    except Exception:  # kombu raises several types when the broker is unreachable
        logger.exception("could not hand job %s to the broker; the sweeper will publish it again", job_id)
        Job.objects.filter(pk=job_id, enqueued_at=token).update(enqueued_at=None)
        return False
    return True


def _cancel_queued(*, job_id: int, reason: JobCancelReason, now: datetime) -> bool:
    return bool(
        Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.CANCELLED, cancel_reason=reason, finished_at=now
        )
    )


def _test_delay() -> None:
    delay = os.environ.get(TEST_DELAY_ENV)
    if delay:
        time.sleep(float(delay))


def _readable_error(exc: BaseException) -> str:
    if isinstance(exc, CircuitError):
        return _("The circuit cannot run on this backend: %(issues)s") % {"issues": exc}
    if isinstance(exc, CalibrationError):
        return _("The backend's latest calibration cannot drive the simulator: %(problems)s") % {
            "problems": "; ".join(exc.problems)
        }
    if isinstance(exc, SoftTimeLimitExceeded):
        return _("The job ran longer than the time limit and was stopped.")
    return _("The simulator failed: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}


def job_execute(*, job_id: int, token: str) -> JobRunOutcome:
    """Run one delivery of a job: wait, hold or cancel it, or claim it, simulate it and record the result."""
    try:
        delivered = datetime.fromisoformat(token)
    except ValueError:
        return JobRunOutcome.IGNORED
    job = Job.objects.select_related("backend", "booking").filter(pk=job_id).first()
    if job is None or job.status in FINISHED_JOB_STATUSES or job.enqueued_at != delivered:
        return JobRunOutcome.IGNORED
    backend, booking = job.backend, job.booking
    now = timezone.now()
    if job.status == JobStatus.QUEUED:
        if booking.status != BookingStatus.CONFIRMED or booking.ends_at <= now:
            cancelled = _cancel_queued(job_id=job.pk, reason=JobCancelReason.BOOKING_ENDED, now=now)
            return JobRunOutcome.CANCELLED if cancelled else JobRunOutcome.IGNORED
        if booking.starts_at > now:
            job_publish(job_id=job.pk, eta=booking.starts_at)
            return JobRunOutcome.WAITING
        if backend_holds_jobs(backend=backend, now=now):
            job_publish(job_id=job.pk, eta=now + HOLD_RECHECK)
            return JobRunOutcome.HELD

    calibration = calibration_latest(backend=backend)
    # Compare-and-set on status, token and attempts: exactly one delivery claims each attempt, and a
    # redelivery of the live message (its worker died) may take over a RUNNING job.
    claimed = Job.objects.filter(
        pk=job.pk,
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
        enqueued_at=delivered,
        attempts=job.attempts,
    ).update(status=JobStatus.RUNNING, started_at=now, attempts=F("attempts") + 1, calibration=calibration, error="")
    if not claimed:
        return JobRunOutcome.IGNORED
    attempt = job.attempts + 1
    _test_delay()

    outcome: dict[str, Any]
    try:
        result = run(
            job.qasm,
            shots=job.shots,
            seed=job.seed,
            calibration=calibration_from_record(calibration),
            timing=timing_from_backend(backend),
        )
    except Exception as exc:  # any failure of the simulation is the job's result, not the worker's crash
        logger.info("job %s failed: %s", job.pk, exc, exc_info=not isinstance(exc, CircuitError | CalibrationError))
        outcome = {"status": JobStatus.FAILED, "error": _readable_error(exc)}
    else:
        outcome = {
            "status": JobStatus.COMPLETED,
            "counts": result.counts,
            "seed": result.seed,
            "depth": result.depth,
            "prx_count": result.prx_count,
            "cz_count": result.cz_count,
            "qpu_seconds": result.qpu_seconds,
        }
    finished = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=attempt).update(
        finished_at=timezone.now(), **outcome
    )
    if not finished:
        return JobRunOutcome.SUPERSEDED
    return JobRunOutcome.COMPLETED if outcome["status"] == JobStatus.COMPLETED else JobRunOutcome.FAILED


@transaction.atomic
def job_cancel(*, job: Job) -> Job:
    """Cancel a queued job (reason `user`); DomainError `not_cancellable` once it runs or has finished."""
    if not _cancel_queued(job_id=job.pk, reason=JobCancelReason.USER, now=timezone.now()):
        job.refresh_from_db()
        raise DomainError(
            _("Only a queued job can be cancelled; this one is %(status)s.") % {"status": job.get_status_display()},
            code="not_cancellable",
            status=job.status,
        )
    job.refresh_from_db()
    return job


def job_cancel_expired(*, now: datetime | None = None) -> int:
    """Cancel (reason `booking_ended`) every queued job whose booking ended or was cancelled; the count."""
    now = now or timezone.now()
    expired = Job.objects.filter(status=JobStatus.QUEUED).filter(
        Q(booking__ends_at__lte=now) | ~Q(booking__status=BookingStatus.CONFIRMED)
    )
    return expired.update(status=JobStatus.CANCELLED, cancel_reason=JobCancelReason.BOOKING_ENDED, finished_at=now)


def job_publish_stale(*, now: datetime | None = None) -> int:
    """Publish again the jobs whose message was lost: never sent, long overdue, or a run abandoned past its lease."""
    now = now or timezone.now()
    stale = Job.objects.filter(
        Q(status=JobStatus.QUEUED, enqueued_at__isnull=True, submitted_at__lt=now - UNPUBLISHED_AFTER)
        | Q(status=JobStatus.QUEUED, enqueued_at__lt=now - LOST_MESSAGE_AFTER)
        | Q(status=JobStatus.RUNNING, started_at__lt=now - RUN_LEASE)
    ).select_related("booking")
    published = 0
    for job in stale:
        published += job_publish(job_id=job.pk, eta=job.booking.starts_at, abandoned_before=now - RUN_LEASE)
    return published
