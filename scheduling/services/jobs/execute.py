"""Running one delivery of a job: wait, hold or cancel it, or claim it and simulate it in a child process under
the wall-clock limit, stoppable at any time, then record the result per circuit."""

from __future__ import annotations

import enum
import logging
import socket
import time
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, Case, F, JSONField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.heartbeat import worker_heartbeat_record
from scheduling.calibration import calibration_from_record, timing_from_backend
from scheduling.choices import FINISHED_JOB_STATUSES, PENDING_JOB_STATUSES, BookingStatus, JobErrorCode, JobStatus
from scheduling.models import Booking, Job, JobCircuit
from scheduling.selectors.calibrations import calibration_latest
from scheduling.selectors.jobs import backend_holds_jobs
from scheduling.services.jobs.publish import job_publish
from scheduling.services.jobs.stop import job_finish_badly
from scheduling.simulator import (
    BatchResult,
    CalibrationError,
    CircuitError,
    RunStopped,
    TimeLimitExceeded,
    prepare_batch,
    run_compiled_batch,
    run_isolated,
)

logger = logging.getLogger(__name__)

# How often a job held by an ongoing outage looks again.
HOLD_RECHECK = timedelta(minutes=1)
# How often the worker running a job polls its status row (a cancellation stops the run within this).
STOP_POLL_S = 0.5
# How many circuits' results one UPDATE writes when a job completes.
CIRCUITS_PER_UPDATE = 100
# How often the worker running a job records its heartbeat (core.heartbeat); see stop.STRANDED_AFTER.
HEARTBEAT_EVERY_S = 5.0


class JobRunOutcome(enum.StrEnum):
    """What one delivery of a job's message did."""

    IGNORED = "ignored"  # no such job, already finished, or a stale message
    WAITING = "waiting"  # the booking has not started: re-scheduled for its start
    HELD = "held"  # ongoing outage: re-scheduled to look again
    CANCELLED = "cancelled"  # its booking ended or was cancelled first
    COMPLETED = "completed"
    FAILED = "failed"
    STOPPED = "stopped"  # cancelled (by its owner, its booking) while it ran: the run was killed
    SUPERSEDED = "superseded"  # another delivery claimed the job while this one ran


def _readable_error(exc: BaseException) -> str:
    if isinstance(exc, CircuitError):
        return _("The circuit cannot run on this backend: %(issues)s") % {"issues": exc}
    if isinstance(exc, CalibrationError):
        return _("The backend's latest calibration cannot drive the simulator: %(problems)s") % {
            "problems": "; ".join(exc.problems)
        }
    return _("The simulator failed: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}


def _booking_refusal(booking: Booking, now: datetime) -> JobErrorCode | None:
    if booking.status == BookingStatus.CANCELLED:
        return JobErrorCode.BOOKING_CANCELLED
    if booking.status != BookingStatus.CONFIRMED or booking.ends_at <= now:
        return JobErrorCode.BOOKING_ENDED
    return None


def _before_claim(job: Job, delivered: datetime, now: datetime) -> JobRunOutcome | None:
    """The checks every run makes first, a re-run after a worker death included: attempts, booking, outage."""
    live = Job.objects.filter(pk=job.pk, enqueued_at=delivered, attempts=job.attempts)
    if job.attempts >= settings.QPU_JOB_MAX_ATTEMPTS:
        message = _("The job's worker died during %(n)s runs; it is not run again.") % {"n": job.attempts}
        done = job_finish_badly(JobErrorCode.WORKER_LOST, jobs=live, error=message, now=now)
        return JobRunOutcome.FAILED if done else JobRunOutcome.IGNORED
    if refusal := _booking_refusal(job.booking, now):
        done = job_finish_badly(refusal, jobs=live, now=now)
        return JobRunOutcome.CANCELLED if done else JobRunOutcome.IGNORED
    if job.booking.starts_at > now:
        job_publish(job_id=job.pk, eta=job.booking.starts_at)
        return JobRunOutcome.WAITING
    if backend_holds_jobs(backend=job.backend, now=now):
        # A re-run goes back to the queue while the backend is down; nothing is lost.
        live.filter(status=JobStatus.RUNNING).update(status=JobStatus.QUEUED, worker="")
        job_publish(job_id=job.pk, eta=now + HOLD_RECHECK)
        return JobRunOutcome.HELD
    return None


def job_execute(*, job_id: int, token: str, worker: str | None = None) -> JobRunOutcome:
    """Run one delivery of a job (`worker`: the Celery worker's name, recorded on the job while it runs)."""
    try:
        delivered = datetime.fromisoformat(token)
    except ValueError:
        return JobRunOutcome.IGNORED
    job = Job.objects.select_related("backend", "booking").filter(pk=job_id).first()
    if job is None or job.status in FINISHED_JOB_STATUSES or job.enqueued_at != delivered:
        return JobRunOutcome.IGNORED
    now = timezone.now()
    if (early := _before_claim(job, delivered, now)) is not None:
        return early
    worker = worker or socket.gethostname()
    worker_heartbeat_record(hostname=worker)  # before the claim: a claimed run always has a heartbeat to age
    calibration = calibration_latest(backend=job.backend)
    # Compare-and-set on status, token and attempts: exactly one delivery claims each attempt, and a
    # redelivery of the live message (its worker died) may take over a RUNNING job.
    claimed = Job.objects.filter(
        pk=job.pk, status__in=PENDING_JOB_STATUSES, enqueued_at=delivered, attempts=job.attempts
    ).update(
        status=JobStatus.RUNNING,
        started_at=now,
        attempts=F("attempts") + 1,
        calibration=calibration,
        worker=worker,
        error="",
    )
    if not claimed:
        return JobRunOutcome.IGNORED
    job.calibration = calibration
    return _run(job, attempt=job.attempts + 1, worker=worker)


class _StopCheck:
    """`should_stop` of a run: polls the job's row (a cancellation, a stranded-job recovery), stops the run when
    its booking ends, and records the worker's heartbeat every few seconds."""

    def __init__(self, job: Job, attempt: int, worker: str) -> None:
        self.job, self.attempt, self.worker = job, attempt, worker
        self.beat_at = time.monotonic()

    def __call__(self) -> bool:
        now = timezone.now()
        if time.monotonic() - self.beat_at >= HEARTBEAT_EVERY_S:
            worker_heartbeat_record(hostname=self.worker)
            self.beat_at = time.monotonic()
        live = Job.objects.filter(pk=self.job.pk, status=JobStatus.RUNNING, attempts=self.attempt)
        if now >= self.job.booking.ends_at:
            job_finish_badly(JobErrorCode.BOOKING_ENDED, jobs=live, now=now)
            return True
        return not live.exists()


def _compiled_circuits(job: Job) -> list[bytes]:
    """The job's circuits as stored compiled (read by the simulation process, not here)."""
    rows = list(JobCircuit.objects.filter(job=job).order_by("index").values_list("compiled", "qasm"))
    if all(compiled is not None for compiled, _qasm in rows):
        return [bytes(cast(bytes, compiled)) for compiled, _qasm in rows]
    # Jobs submitted before circuits were stored compiled.
    prepared = prepare_batch([qasm for _compiled, qasm in rows], timing=timing_from_backend(job.backend))
    return [circuit.to_bytes() for circuit in prepared]


def _run(job: Job, *, attempt: int, worker: str) -> JobRunOutcome:
    live = Job.objects.filter(pk=job.pk, attempts=attempt)
    try:
        result = run_isolated(
            run_compiled_batch,
            _compiled_circuits(job),
            shots=job.shots,
            seed=job.seed,
            calibration=calibration_from_record(job.calibration),
            timing=timing_from_backend(job.backend),
            time_limit_s=settings.QPU_JOB_TIME_LIMIT_S,
            should_stop=_StopCheck(job, attempt, worker),
            poll_s=STOP_POLL_S,
        )
    except TimeLimitExceeded:
        message = _("The job ran longer than the time limit (%(s)s s) and was stopped.") % {
            "s": f"{settings.QPU_JOB_TIME_LIMIT_S:g}"
        }
        done = job_finish_badly(JobErrorCode.TIME_LIMIT, jobs=live, error=message)
        return JobRunOutcome.FAILED if done else JobRunOutcome.SUPERSEDED
    except RunStopped:
        return JobRunOutcome.STOPPED
    except Exception as exc:  # any failure of the simulation is the job's result, not the worker's crash
        logger.info("job %s failed: %s", job.pk, exc, exc_info=not isinstance(exc, CircuitError | CalibrationError))
        done = job_finish_badly(JobErrorCode.SIMULATION_ERROR, jobs=live, error=_readable_error(exc))
        return JobRunOutcome.FAILED if done else JobRunOutcome.SUPERSEDED
    return _complete(job, attempt=attempt, result=result)


@transaction.atomic
def _complete(job: Job, *, attempt: int, result: BatchResult) -> JobRunOutcome:
    # Finishing is a compare-and-set on the attempt this run claimed: only the latest claim completes the job.
    first: dict[str, Any] = result.results[0].counts
    finished = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=attempt).update(
        status=JobStatus.COMPLETED,
        finished_at=timezone.now(),
        counts=first,
        seed=result.seed,
        qpu_seconds=result.qpu_seconds,
        worker="",
    )
    if not finished:
        status = Job.objects.filter(pk=job.pk).values_list("status", flat=True).first()
        return JobRunOutcome.STOPPED if status == JobStatus.CANCELLED else JobRunOutcome.SUPERSEDED
    # Each circuit's counts and seed by its index, CIRCUITS_PER_UPDATE circuits per UPDATE: no read of them first.
    # The columns' types (JobCircuit.counts, JobCircuit.seed), so that each value is adapted as the ORM stores it.
    counts_field: JSONField[Any, Any] = JSONField()
    seed_field: BigIntegerField[Any, Any] = BigIntegerField()
    updated = 0
    for start in range(0, len(result.results), CIRCUITS_PER_UPDATE):
        runs = result.results[start : start + CIRCUITS_PER_UPDATE]
        updated += JobCircuit.objects.filter(job=job, index__in=[run.index for run in runs]).update(
            counts=Case(*(When(index=run.index, then=Value(run.counts, counts_field)) for run in runs)),
            seed=Case(*(When(index=run.index, then=Value(run.seed, seed_field)) for run in runs)),
        )
    if updated != len(result.results):  # rolls the completion back: the run answered for other circuits
        raise RuntimeError(f"job {job.pk}: {len(result.results)} results for {updated} stored circuits")
    return JobRunOutcome.COMPLETED
