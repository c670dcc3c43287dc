"""Running one delivery of a job: wait, hold or cancel it, or claim it and simulate it in a child process under
the wall-clock limit, stoppable at any time, then record the result per circuit.

A pass takes the queued jobs that follow. A job claimed for its first run takes with it, in the order they were
submitted, the queued jobs of its booking that have never run, as long as the pass stays small: at most
PASS_MAX_JOBS jobs and PASS_MAX_WORK of simulation work (shots x native operations, a bound on how long the pass
can take). They are claimed with the same compare-and-set as a job alone, simulated in one request to the
simulation process and completed in one transaction, each with its own seed, metering (its own overhead) and
compare-and-set. Every job of a pass belongs to the one booking the first passed its checks with. A cancelled
job of a pass keeps its cancellation; the pass is killed only when none of its jobs is still running. A pass of
several jobs that reaches the time limit puts them all back in the queue, counted as a run: a job that has run
before always runs alone, so the job that is too long then fails `time_limit` by itself; a pass that fails in the
worker itself (not the simulation) goes back to the queue the same way. A worker that dies in a pass leaves every
job of it to the stranded-job recovery (or its own message's redelivery), as for one job."""

from __future__ import annotations

import enum
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DateTimeField, F, JSONField, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.heartbeat import worker_heartbeat_record
from scheduling.calibration import calibration_from_record, timing_from_backend
from scheduling.choices import FINISHED_JOB_STATUSES, PENDING_JOB_STATUSES, BookingStatus, JobErrorCode, JobStatus
from scheduling.models import Booking, Job, JobCircuit
from scheduling.selectors.calibrations import calibration_latest
from scheduling.selectors.jobs import backend_holds_jobs
from scheduling.services.jobs.publish import job_message_id, job_publish
from scheduling.services.jobs.stop import job_finish_badly
from scheduling.simulator import (
    BatchRequest,
    BatchResult,
    CalibrationError,
    CircuitError,
    RunStopped,
    TimeLimitExceeded,
    prepare_batch,
    run_compiled_batches,
    run_isolated,
)

logger = logging.getLogger(__name__)

# How often a job held by an ongoing outage looks again.
HOLD_RECHECK = timedelta(minutes=1)
# How often the worker running a job polls its status row (a cancellation stops the run within this).
STOP_POLL_S = 0.5
# How often the worker running a job records its heartbeat (core.heartbeat); see stop.STRANDED_AFTER.
HEARTBEAT_EVERY_S = 5.0
# A pass (module docstring): at most this many jobs, and this much work, shots x (PRX + CZ + depth) summed over its
# jobs' circuits (a GHZ(5) of 1000 shots is 31 000, so 32 of them make a pass). The slowest circuits simulate at
# about 1 to 5 us per unit (mid-circuit measurements: Aer runs them shot by shot), so a pass of several jobs lasts a
# few seconds at most. A project's queue is bounded too (the policy's max_queued_jobs, 20 by default).
PASS_MAX_JOBS = 50
PASS_MAX_WORK = 1_000_000


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
    REQUEUED = "requeued"  # its pass of several jobs reached the time limit: back in the queue, to run alone


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


def _stale(status: str, enqueued_at: datetime | None, *, delivered: datetime) -> bool:
    """A message for a job that has finished, or not the job's live message: it does nothing."""
    return status in FINISHED_JOB_STATUSES or enqueued_at != delivered


def job_execute(
    *, job_id: int, token: str, worker: str | None = None, settled: Callable[[list[str]], object] | None = None
) -> JobRunOutcome:
    """Run one delivery of a job (`worker`: the Celery worker's name, recorded on the job while it runs), in a
    pass with the queued jobs that follow it (module docstring).

    `settled` is given the broker messages (`job_message_id`) of the other jobs of a pass once it is over: none of
    them can run its job any more (each job is finished, or back in the queue with a new token), so the worker may
    discard them unread."""
    try:
        delivered = datetime.fromisoformat(token)
    except ValueError:
        return JobRunOutcome.IGNORED
    # Most messages of a busy queue find their job already run in an earlier pass: a narrow read tells them so.
    state = Job.objects.filter(pk=job_id).values_list("status", "enqueued_at").first()
    if state is None or _stale(*state, delivered=delivered):
        return JobRunOutcome.IGNORED
    job = Job.objects.select_related("backend", "booking").filter(pk=job_id).first()
    if job is None or _stale(job.status, job.enqueued_at, delivered=delivered):  # it changed since
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
    first = _Claim(job, attempt=job.attempts + 1)
    claims = [first, *_claim_followers(first, now=now, worker=worker)]
    try:
        outcomes = _run(claims, worker=worker)
    except Exception:
        # Not the simulation's failure (that is each job's result) but ours, e.g. the database: this worker is
        # alive, so the stranded-job recovery would never take the jobs back. Back to the queue, the run counted.
        logger.exception("a pass of jobs %s failed; they go back to the queue", [claim.job.pk for claim in claims])
        _requeue(claims)
        raise
    if settled is not None and len(claims) > 1:
        # A job whose message the broker refused has none (no token) until the sweeper publishes it.
        settled([job_message_id(c.job.pk, c.job.enqueued_at) for c in claims[1:] if c.job.enqueued_at is not None])
    return outcomes[first.job.pk]


@dataclass(frozen=True)
class _Claim:
    """A job this pass claimed, and the attempt it claimed (its compare-and-set when it finishes)."""

    job: Job
    attempt: int

    @property
    def live(self) -> Q:
        return Q(pk=self.job.pk, attempts=self.attempt)


def _work(shots: int, prx: int | None, cz: int | None, depth: int | None) -> int:
    return shots * ((prx or 0) + (cz or 0) + (depth or 0))


def _claim_followers(first: _Claim, *, now: datetime, worker: str) -> list[_Claim]:
    """Claim the queued, never-run jobs of the first job's booking that fit in its pass (module docstring)."""
    job = first.job
    budget = PASS_MAX_WORK - _work(job.shots, job.prx_count, job.cz_count, job.depth)
    if first.attempt != 1 or budget <= 0:
        return []
    candidates = (
        Job.objects.filter(
            booking_id=job.booking_id,
            backend_id=job.backend_id,
            status=JobStatus.QUEUED,
            attempts=0,
            submitted_at__lte=now,  # a job is never started before it was submitted (a check constraint)
            prx_count__isnull=False,  # its statistics, from its submission, give its work
        )
        .exclude(pk=job.pk)
        .order_by("submitted_at", "pk")
        .values_list("pk", "shots", "prx_count", "cz_count", "depth")[: PASS_MAX_JOBS - 1]
    )
    chosen: list[int] = []
    for pk, shots, prx, cz, depth in candidates:
        budget -= _work(shots, prx, cz, depth)
        if budget < 0:
            break
        chosen.append(pk)
    if not chosen:
        return []
    # The same compare-and-set as the first job's claim (status and attempts); the pass's time and worker mark the
    # jobs it won, read back below with their circuits.
    Job.objects.filter(pk__in=chosen, status=JobStatus.QUEUED, attempts=0).update(
        status=JobStatus.RUNNING,
        started_at=now,
        attempts=1,
        calibration=job.calibration,
        worker=worker,
        error="",
    )
    won = Job.objects.filter(pk__in=chosen, status=JobStatus.RUNNING, attempts=1, started_at=now, worker=worker)
    return [_Claim(follower, attempt=1) for follower in won.order_by("submitted_at", "pk")]


class _StopCheck:
    """`should_stop` of a pass: polls its jobs' rows (a cancellation, a stranded-job recovery), stops the pass
    when its booking ends or none of its jobs is still running, and records the worker's heartbeat every few
    seconds."""

    def __init__(self, claims: list[_Claim], worker: str) -> None:
        self.claims, self.worker = claims, worker
        self.booking = claims[0].job.booking
        self.beat_at = time.monotonic()

    def __call__(self) -> bool:
        now = timezone.now()
        if time.monotonic() - self.beat_at >= HEARTBEAT_EVERY_S:
            worker_heartbeat_record(hostname=self.worker)
            self.beat_at = time.monotonic()
        live = _jobs(self.claims).filter(status=JobStatus.RUNNING)
        if now >= self.booking.ends_at:
            job_finish_badly(JobErrorCode.BOOKING_ENDED, jobs=live, now=now)
            return True
        return not live.exists()


def _requests(claims: list[_Claim]) -> list[BatchRequest]:
    """Each job's circuits as stored compiled (read by the simulation process, not here), in one query."""
    rows: dict[int, list[tuple[bytes | None, str]]] = {claim.job.pk: [] for claim in claims}
    circuits = JobCircuit.objects.filter(job_id__in=list(rows)).order_by("job_id", "index")
    for job_id, data, qasm in circuits.values_list("job_id", "compiled", "qasm"):
        rows[job_id].append((None if data is None else bytes(cast(bytes, data)), qasm))
    requests = []
    for claim in claims:
        stored = rows[claim.job.pk]
        compiled = [data for data, _qasm in stored if data is not None]
        if len(compiled) != len(stored):  # jobs submitted before circuits were stored compiled
            timing = timing_from_backend(claim.job.backend)
            compiled = [circuit.to_bytes() for circuit in prepare_batch([qasm for _d, qasm in stored], timing=timing)]
        requests.append(BatchRequest(compiled=compiled, shots=claim.job.shots, seed=claim.job.seed))
    return requests


def _jobs(claims: list[_Claim]) -> QuerySet[Job]:
    """The pass's jobs, each on the attempt the pass claimed."""
    return Job.objects.filter(reduce(or_, (claim.live for claim in claims)))


def _run(claims: list[_Claim], *, worker: str) -> dict[int, JobRunOutcome]:
    """Simulate the pass and record each job's result; each job's outcome, by id."""
    first = claims[0].job
    try:
        answers = run_isolated(
            run_compiled_batches,
            _requests(claims),
            calibration=calibration_from_record(first.calibration),
            timing=timing_from_backend(first.backend),
            time_limit_s=settings.QPU_JOB_TIME_LIMIT_S,
            should_stop=_StopCheck(claims, worker),
            poll_s=STOP_POLL_S,
        )
    except TimeLimitExceeded:
        if len(claims) > 1:
            return _requeue(claims)
        message = _("The job ran longer than the time limit (%(s)s s) and was stopped.") % {
            "s": f"{settings.QPU_JOB_TIME_LIMIT_S:g}"
        }
        done = job_finish_badly(JobErrorCode.TIME_LIMIT, jobs=_jobs(claims), error=message)
        return {first.pk: JobRunOutcome.FAILED if done else JobRunOutcome.SUPERSEDED}
    except RunStopped:
        return {claim.job.pk: JobRunOutcome.STOPPED for claim in claims}
    except Exception as exc:  # any failure of the simulation is the jobs' result, not the worker's crash
        answers = [exc] * len(claims)
    outcomes: dict[int, JobRunOutcome] = {}
    results: list[tuple[_Claim, BatchResult]] = []
    for claim, answer in zip(claims, answers, strict=True):
        if isinstance(answer, BatchResult):
            results.append((claim, answer))
            continue
        logger.info(
            "job %s failed: %s", claim.job.pk, answer, exc_info=not isinstance(answer, CircuitError | CalibrationError)
        )
        done = job_finish_badly(JobErrorCode.SIMULATION_ERROR, jobs=_jobs([claim]), error=_readable_error(answer))
        outcomes[claim.job.pk] = JobRunOutcome.FAILED if done else JobRunOutcome.SUPERSEDED
    if results:
        outcomes |= _complete(results)
    return outcomes


def _requeue(claims: list[_Claim]) -> dict[int, JobRunOutcome]:
    """The pass's jobs still running go back to the queue, their run counted, and each runs alone from then on
    (a pass of several jobs that reached the time limit, or a pass that failed in the worker itself)."""
    back = list(_jobs(claims).filter(status=JobStatus.RUNNING).values_list("pk", flat=True))
    Job.objects.filter(pk__in=back, status=JobStatus.RUNNING).update(status=JobStatus.QUEUED, worker="")
    for pk in back:
        job_publish(job_id=pk)
    return {claim.job.pk: JobRunOutcome.REQUEUED for claim in claims}


# Completing a pass: one statement per job and per circuit, each a compare-and-set, sent together (executemany:
# a pipeline on PostgreSQL) and written out, since building a CASE per value costs the ORM more than the run itself.
_COMPLETE_JOB = (
    "UPDATE {job} SET status = %s, finished_at = %s, counts = %s, seed = %s, qpu_seconds = %s, worker = ''"
    " WHERE id = %s AND attempts = %s AND status = %s"
)
_CIRCUIT_RESULT = "UPDATE {circuit} SET counts = %s, seed = %s WHERE job_id = %s AND {index} = %s"


@transaction.atomic
def _complete(results: list[tuple[_Claim, BatchResult]]) -> dict[int, JobRunOutcome]:
    """Complete the pass's jobs that are still on the attempt it claimed (a compare-and-set each), then write
    their circuits' counts and seeds by (job, index), with no read of the circuits first."""
    quote = connection.ops.quote_name
    counts_field: JSONField[Any, Any] = JSONField()
    finished_at = timezone.now()
    when = DateTimeField().get_db_prep_value(finished_at, connection)
    by_pk = {claim.job.pk: (claim, result) for claim, result in results}
    with connection.cursor() as cursor:
        cursor.executemany(
            _COMPLETE_JOB.format(job=quote(Job._meta.db_table)),
            [
                (
                    JobStatus.COMPLETED.value,
                    when,
                    counts_field.get_db_prep_value(result.results[0].counts, connection),
                    result.seed,
                    result.qpu_seconds,
                    claim.job.pk,
                    claim.attempt,
                    JobStatus.RUNNING.value,
                )
                for claim, result in results
            ],
        )
        finished = cursor.rowcount
    done = set(by_pk)
    if finished != len(by_pk):  # some were cancelled or superseded meanwhile: which ones did this pass complete?
        done = set(
            Job.objects.filter(pk__in=by_pk, status=JobStatus.COMPLETED, finished_at=finished_at).values_list(
                "pk", flat=True
            )
        )
    runs = [
        (counts_field.get_db_prep_value(run.counts, connection), run.seed, pk, run.index)
        for pk in sorted(done)
        for run in by_pk[pk][1].results
    ]
    updated = 0
    if runs:
        with connection.cursor() as cursor:
            table, index = quote(JobCircuit._meta.db_table), quote("index")
            cursor.executemany(_CIRCUIT_RESULT.format(circuit=table, index=index), runs)
            updated = cursor.rowcount
    if updated != len(runs):  # rolls the completion back: the run answered for other circuits
        raise RuntimeError(f"jobs {sorted(done)}: {len(runs)} results for {updated} stored circuits")
    outcomes = dict.fromkeys(done, JobRunOutcome.COMPLETED)
    missed = [pk for pk in by_pk if pk not in done]
    for pk, status in Job.objects.filter(pk__in=missed).values_list("pk", "status"):
        outcomes[pk] = JobRunOutcome.STOPPED if status == JobStatus.CANCELLED else JobRunOutcome.SUPERSEDED
    return outcomes
