from dataclasses import replace
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from core.errors import DomainError
from core.heartbeat import worker_heartbeat_record
from core.models import WorkerHeartbeat
from scheduling.choices import BookingStatus, JobCancelReason, JobErrorCode, JobStatus, OutageSeverity
from scheduling.models import Job, JobCircuit, Outage
from scheduling.services.jobs import (
    MAX_WAIT,
    STRANDED_AFTER,
    JobRunOutcome,
    job_cancel,
    job_cancel_expired,
    job_cancel_for_bookings,
    job_execute,
    job_message_id,
    job_publish,
    job_publish_stale,
    job_recover_stranded,
    job_submit,
)
from scheduling.services.jobs import execute as execution
from scheduling.simulator import DEFAULT_TIMING, metered_seconds, prepare_circuit
from scheduling.tasks import job_execute_task
from tests.factories import GHZ3, BookingFactory, CalibrationRecordFactory, JobFactory, ghz
from tests.support import slow_circuit


@pytest.fixture
def published():
    """Capture what would be handed to the broker instead of running it."""
    with mock.patch.object(job_execute_task, "apply_async") as apply_async:
        yield apply_async


def submit(world, **kwargs):
    data = {"user": world.member, "backend": world.backend, "project": world.project, "qasm": GHZ3, "shots": 200}
    return job_submit(**{**data, **kwargs})


def deliver(job) -> JobRunOutcome:
    """Run the job's live message, as the worker would."""
    job.refresh_from_db()
    return job_execute(job_id=job.pk, token=job.enqueued_at.isoformat())


# --- submission ---


def test_submit_queues_the_job_in_the_booking_in_progress_and_publishes_after_commit(
    world, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(world, name="ghz", seed=7)
    job.refresh_from_db()
    assert (job.status, job.booking, job.user, job.seed, job.attempts) == (
        JobStatus.QUEUED,
        world.booking,
        world.member,
        7,
        0,
    )
    assert job.enqueued_at is not None
    # No time limit travels in the message: the worker's own settings apply. The message is named after the job and
    # its token, so that a worker can discard it unread once a pass has settled the job.
    published.assert_called_once_with(
        args=(job.pk, job.enqueued_at.isoformat()),
        time_limit=None,
        soft_time_limit=None,
        task_id=f"job-{job.pk}-{job.enqueued_at.isoformat()}",
    )


def test_submit_and_eager_run_record_counts_stats_calibration_and_qpu_seconds(
    world, django_capture_on_commit_callbacks
):
    calibration = CalibrationRecordFactory(backend=world.backend)
    CalibrationRecordFactory(backend=world.backend, measured_at=timezone.now() - timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(world, seed=11)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED, job.error
    assert sum(job.counts.values()) == 200
    assert all(len(key) == 3 for key in job.counts)
    assert job.calibration == calibration
    (circuit,) = JobCircuit.objects.filter(job=job)
    assert (circuit.counts, circuit.seed) == (job.counts, job.seed)
    prepared = prepare_circuit(GHZ3)
    assert (job.depth, job.prx_count, job.cz_count) == (prepared.depth, prepared.prx_count, prepared.cz_count)
    expected = metered_seconds(shots=200, duration_ns=prepared.duration_ns, timing=DEFAULT_TIMING)
    assert job.qpu_seconds == pytest.approx(expected)
    assert job.started_at >= job.submitted_at
    assert job.finished_at >= job.started_at
    assert job.attempts == 1
    assert job.seed == 11


def test_same_seed_gives_the_same_counts(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first, second = submit(world, seed=5), submit(world, seed=5)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.counts == second.counts


def test_submit_without_seed_records_the_seed_used(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(world)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert job.seed is not None


def test_submit_refuses_a_non_member(world, outsider, published):
    with pytest.raises(DomainError) as caught:
        submit(world, user=outsider)
    assert caught.value.code == "not_member"
    assert caught.value.status_code == 403
    assert not Job.objects.exists()


def test_submit_refuses_an_invalid_circuit_with_positions_before_saving(
    world, published, django_capture_on_commit_callbacks
):
    source = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0]\ncx q[0], q[1];\n'
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as caught:
        submit(world, qasm=source)
    assert caught.value.code == "invalid_circuit"
    assert caught.value.status_code == 400
    (issue,) = caught.value.extra["errors"]
    assert issue["line"] == 5
    assert issue["column"] is not None
    assert issue["message"]
    assert not Job.objects.exists()
    published.assert_not_called()


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        (ghz(6), "qubits"),
        ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nh q[0];\n', "measurement"),
        ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nreset q[0];\nmeasure q -> c;\n', "reset"),
    ],
)
def test_submit_refuses_circuits_the_device_cannot_run(world, published, source, fragment):
    with pytest.raises(DomainError) as caught:
        submit(world, qasm=source)
    assert caught.value.code == "invalid_circuit"
    assert any(fragment in issue["message"] for issue in caught.value.extra["errors"])
    assert not Job.objects.exists()


@pytest.mark.parametrize("shots", [0, -1, 100_001])
def test_submit_refuses_shots_out_of_range(world, published, shots):
    with pytest.raises(ValidationError) as caught:
        submit(world, shots=shots)
    assert "shots" in caught.value.message_dict
    assert not Job.objects.exists()


def test_submit_accepts_the_shot_limits(world, published):
    assert submit(world, shots=1).shots == 1
    assert submit(world, shots=100_000).shots == 100_000


def test_submit_without_a_booking_is_refused(world, published):
    world.booking.delete()
    with pytest.raises(DomainError) as caught:
        submit(world)
    assert caught.value.code == "no_active_booking"
    assert caught.value.status_code == 409
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"starts_at": timezone.now() - timedelta(hours=2), "ends_at": timezone.now() - timedelta(hours=1)},
        {"status": BookingStatus.CANCELLED, "cancelled_at": timezone.now()},
        {"status": BookingStatus.PENDING},
        {"status": BookingStatus.COMPLETED},
    ],
)
def test_submit_refuses_ended_cancelled_or_unconfirmed_bookings(world, published, change):
    for field, value in change.items():
        setattr(world.booking, field, value)
    world.booking.save()
    for booking in (None, world.booking):
        with pytest.raises(DomainError) as caught:
            submit(world, booking=booking)
        assert caught.value.code == "no_active_booking"
    assert not Job.objects.exists()


def test_submit_refuses_a_booking_of_another_project_or_backend(world, published):
    other_project = BookingFactory(backend=world.backend, starts_at=timezone.now() + timedelta(hours=2))
    other_backend = BookingFactory(project=world.project, in_progress=True)
    for booking in (other_project, other_backend):
        with pytest.raises(ValidationError) as caught:
            submit(world, booking=booking)
        assert "booking" in caught.value.message_dict
    assert not Job.objects.exists()


def test_submit_to_a_future_booking_waits_for_its_start(world, published, django_capture_on_commit_callbacks):
    world.booking.delete()
    starts = timezone.now() + timedelta(minutes=30)
    future = BookingFactory(backend=world.backend, project=world.project, starts_at=starts)
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(world)
    assert job.booking == future
    assert published.call_args.kwargs["eta"] == starts


def test_submit_prefers_the_booking_in_progress_and_far_starts_are_capped(
    world, published, django_capture_on_commit_callbacks
):
    later = BookingFactory(backend=world.backend, project=world.project, starts_at=timezone.now() + timedelta(days=3))
    assert submit(world).booking == world.booking
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(world, booking=later)
    job.refresh_from_db()
    assert job.booking == later
    assert published.call_args.kwargs["eta"] <= job.enqueued_at + MAX_WAIT


# --- execution ---


# A job's run in the worker: the job's state (a narrow read, all that a message of a job already run needs), the
# job with its backend and booking, the outage check, the heartbeat (its row exists:
# one UPDATE), the latest calibration, the claim, the queued jobs that could follow it in its pass (none here),
# the compiled circuit, then one transaction (a savepoint here, 2) with the job finished and its one circuit's
# counts (one UPDATE by index, no read of the circuits).
JOB_RUN_QUERIES = 12


def test_a_job_run_query_count_is_pinned(world, published, django_assert_num_queries):
    job = submit(world)
    job.refresh_from_db()
    worker_heartbeat_record(hostname="pinned@host")
    with django_assert_num_queries(JOB_RUN_QUERIES):
        outcome = job_execute(job_id=job.pk, token=job.enqueued_at.isoformat(), worker="pinned@host")
    assert outcome == JobRunOutcome.COMPLETED
    circuit = JobCircuit.objects.get(job=job)
    job.refresh_from_db()
    assert circuit.counts == job.counts
    assert sum(circuit.counts.values()) == job.shots
    assert circuit.seed == job.seed


def test_execute_before_the_booking_starts_reschedules_for_its_start(world, published):
    world.booking.starts_at = timezone.now() + timedelta(minutes=20)
    world.booking.ends_at = world.booking.starts_at + timedelta(hours=1)
    world.booking.save()
    job = JobFactory(queued=True, booking=world.booking)
    job_publish(job_id=job.pk)
    assert deliver(job) == JobRunOutcome.WAITING
    job.refresh_from_db()
    assert (job.status, job.attempts, job.started_at) == (JobStatus.QUEUED, 0, None)
    assert published.call_args.kwargs["eta"] == world.booking.starts_at
    assert published.call_args.kwargs["args"] == (job.pk, job.enqueued_at.isoformat())


def test_execute_holds_the_job_during_an_ongoing_outage_and_runs_it_after(world, published):
    outage = Outage.objects.create(
        backend=world.backend, starts_at=timezone.now() - timedelta(minutes=5), severity=OutageSeverity.MAJOR
    )
    job = JobFactory(queued=True, booking=world.booking)
    job_publish(job_id=job.pk)
    assert deliver(job) == JobRunOutcome.HELD
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == (JobStatus.QUEUED, 0, "")
    assert published.call_args.kwargs["eta"] > timezone.now()
    outage.ends_at = timezone.now()
    outage.save()
    assert deliver(job) == JobRunOutcome.COMPLETED


def test_execute_cancels_a_job_whose_booking_ended(world, published):
    job = JobFactory(queued=True, booking=world.booking, submitted_at=world.booking.starts_at)
    job_publish(job_id=job.pk)
    world.booking.ends_at = timezone.now() - timedelta(minutes=1)
    world.booking.save()
    assert deliver(job) == JobRunOutcome.CANCELLED
    job.refresh_from_db()
    assert (job.status, job.cancel_reason, job.attempts) == (JobStatus.CANCELLED, JobCancelReason.BOOKING_ENDED, 0)


def test_duplicate_message_for_a_completed_job_does_nothing(world, published):
    job = JobFactory(queued=True, booking=world.booking)
    job_publish(job_id=job.pk)
    assert deliver(job) == JobRunOutcome.COMPLETED
    job.refresh_from_db()
    before = (job.status, job.finished_at, job.counts, job.attempts)
    assert deliver(job) == JobRunOutcome.IGNORED
    job.refresh_from_db()
    assert (job.status, job.finished_at, job.counts, job.attempts) == before


def test_superseded_message_cannot_claim_the_job(world, published):
    job = JobFactory(queued=True, booking=world.booking)
    job_publish(job_id=job.pk)
    job.refresh_from_db()
    old_token = job.enqueued_at.isoformat()
    job_publish(job_id=job.pk)  # e.g. the sweeper published it again
    assert job_execute(job_id=job.pk, token=old_token) == JobRunOutcome.IGNORED
    assert job_execute(job_id=job.pk, token="not a token") == JobRunOutcome.IGNORED
    assert job_execute(job_id=10**9, token=old_token) == JobRunOutcome.IGNORED
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 0)


def test_redelivered_message_reruns_a_job_its_dead_worker_left_running(world, published):
    job = JobFactory(queued=True, booking=world.booking)
    job_publish(job_id=job.pk)
    job.refresh_from_db()
    # The first delivery claimed the job, then its worker died before finishing.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now(), attempts=1)
    assert deliver(job) == JobRunOutcome.COMPLETED
    job.refresh_from_db()
    assert (job.status, job.attempts, sum(job.counts.values())) == (JobStatus.COMPLETED, 2, job.shots)


def test_two_concurrent_deliveries_complete_the_job_once(world, published):
    job = JobFactory(queued=True, booking=world.booking, seed=3)
    job_publish(job_id=job.pk)
    job.refresh_from_db()
    token = job.enqueued_at.isoformat()
    real_run = execution.run_isolated
    inner: list[JobRunOutcome] = []
    calls: list[int] = []

    def run_with_a_redelivery_meanwhile(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:  # while the first delivery simulates, the broker redelivers the same message
            inner.append(job_execute(job_id=job.pk, token=token))
        return real_run(*args, **kwargs)

    with mock.patch.object(execution, "run_isolated", side_effect=run_with_a_redelivery_meanwhile):
        outer = job_execute(job_id=job.pk, token=token)
    # The first delivery's run sees its attempt superseded (its status poll) and stops, or finishes too late.
    assert inner == [JobRunOutcome.COMPLETED]
    assert outer in {JobRunOutcome.SUPERSEDED, JobRunOutcome.STOPPED}
    job.refresh_from_db()
    assert (job.status, job.attempts, sum(job.counts.values())) == (JobStatus.COMPLETED, 2, job.shots)


def test_execute_failure_is_recorded_with_a_readable_error(world, published):
    CalibrationRecordFactory(backend=world.backend, couplers=[])
    job = JobFactory(queued=True, booking=world.booking)
    job_publish(job_id=job.pk)
    assert deliver(job) == JobRunOutcome.FAILED
    job.refresh_from_db()
    assert (job.status, job.error_code) == (JobStatus.FAILED, JobErrorCode.SIMULATION_ERROR)
    assert job.finished_at is not None
    assert job.counts is None
    assert "calibration" in job.error
    assert "cz_fidelity" in job.error


def test_execute_records_a_crash_of_the_simulator_as_failed(world, published):
    job = JobFactory(queued=True, booking=world.booking)
    job_publish(job_id=job.pk)
    with mock.patch.object(execution, "run_compiled_batches", side_effect=MemoryError("out of memory")):
        assert deliver(job) == JobRunOutcome.FAILED
    job.refresh_from_db()
    assert (job.status, job.error_code) == (JobStatus.FAILED, JobErrorCode.SIMULATION_ERROR)
    assert "MemoryError: out of memory" in job.error


# --- cancellation and sweepers ---


def test_cancel_a_queued_job(world, published):
    job = JobFactory(queued=True, booking=world.booking)
    cancelled = job_cancel(job=job)
    assert (cancelled.status, cancelled.cancel_reason) == (JobStatus.CANCELLED, JobCancelReason.USER)
    assert cancelled.error_code == JobErrorCode.CANCELLED_BY_USER
    assert cancelled.finished_at is not None


@pytest.mark.parametrize("status", [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED])
def test_cancel_refuses_jobs_that_have_finished(world, published, status):
    job = JobFactory(queued=True, booking=world.booking, status=status)
    before = (job.status, job.cancel_reason, job.error_code)
    with pytest.raises(DomainError) as caught:
        job_cancel(job=job)
    assert caught.value.code == "not_cancellable"
    assert caught.value.extra["status"] == status
    job.refresh_from_db()
    assert (job.status, job.cancel_reason, job.error_code) == before


def test_cancel_expired_cancels_pending_jobs_of_ended_or_cancelled_bookings(world, published):
    now = timezone.now()
    ended = BookingFactory(
        backend=world.backend,
        project=world.project,
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=2),
    )
    cancelled = BookingFactory(
        backend=world.backend, project=world.project, status=BookingStatus.CANCELLED, cancelled_at=now, in_progress=True
    )
    expired = [
        (JobFactory(queued=True, booking=ended, submitted_at=ended.starts_at), JobErrorCode.BOOKING_ENDED),
        (JobFactory(queued=True, booking=cancelled), JobErrorCode.BOOKING_CANCELLED),
        (JobFactory(queued=True, booking=cancelled, status=JobStatus.RUNNING), JobErrorCode.BOOKING_CANCELLED),
    ]
    live = JobFactory(queued=True, booking=world.booking)
    finished = JobFactory(queued=True, booking=ended, submitted_at=ended.starts_at, status=JobStatus.COMPLETED)
    assert job_cancel_expired() == 3
    for job, code in expired:
        job.refresh_from_db()
        assert (job.status, job.cancel_reason, job.error_code) == (
            JobStatus.CANCELLED,
            JobCancelReason.BOOKING_ENDED,
            code,
        )
    for job, status in ((live, JobStatus.QUEUED), (finished, JobStatus.COMPLETED)):
        job.refresh_from_db()
        assert (job.status, job.cancel_reason) == (status, "")


def test_broker_down_at_submit_leaves_the_job_for_the_sweeper(world, published, django_capture_on_commit_callbacks):
    published.side_effect = BrokerUnavailable("connection refused")
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(world)
    job.refresh_from_db()
    assert (job.status, job.enqueued_at) == (JobStatus.QUEUED, None)
    published.side_effect = None
    assert job_publish_stale() == 0  # too recent: the submit may still be publishing it
    assert job_publish_stale(now=timezone.now() + timedelta(minutes=2)) == 1
    job.refresh_from_db()
    assert job.enqueued_at is not None


# --- bounded: the time limit, the attempts, the stranded runs ---


def test_a_run_past_the_time_limit_fails_with_time_limit_and_is_never_run_again(world, published, settings):
    settings.QPU_JOB_TIME_LIMIT_S = 0.5
    job = JobFactory(queued=True, booking=world.booking, qasm=slow_circuit(), shots=1000)
    job_publish(job_id=job.pk)
    started = timezone.now()
    assert deliver(job) == JobRunOutcome.FAILED
    assert (timezone.now() - started).total_seconds() < 10  # killed, not run to its end (about a minute)
    job.refresh_from_db()
    assert (job.status, job.error_code, job.counts, job.attempts) == (JobStatus.FAILED, "time_limit", None, 1)
    assert "time limit" in job.error
    assert deliver(job) == JobRunOutcome.IGNORED  # a redelivery of its message does nothing
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)


def test_a_job_whose_workers_died_too_often_fails_with_worker_lost(world, published, settings):
    settings.QPU_JOB_MAX_ATTEMPTS = 2
    job = JobFactory(queued=True, booking=world.booking)
    job_publish(job_id=job.pk)
    job.refresh_from_db()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now(), attempts=1)
    token = job.enqueued_at.isoformat()
    # The second run's worker dies too (claimed, never finished) ...
    with mock.patch.object(execution, "_run", return_value={job.pk: JobRunOutcome.COMPLETED}):
        job_execute(job_id=job.pk, token=token)
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.RUNNING, 2)
    # ... so the next redelivery runs nothing: the job fails.
    assert job_execute(job_id=job.pk, token=token) == JobRunOutcome.FAILED
    job.refresh_from_db()
    assert (job.status, job.error_code, job.attempts, job.counts) == (JobStatus.FAILED, "worker_lost", 2, None)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"status": BookingStatus.CANCELLED, "cancelled_at": timezone.now()}, JobErrorCode.BOOKING_CANCELLED),
        ({"status": BookingStatus.COMPLETED}, JobErrorCode.BOOKING_ENDED),
    ],
)
def test_a_rerun_checks_its_booking_again(world, published, change, code):
    job = JobFactory(queued=True, booking=world.booking)
    job_publish(job_id=job.pk)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now(), attempts=1)
    Booking = type(world.booking)
    Booking.objects.filter(pk=world.booking.pk).update(**change)
    assert deliver(job) == JobRunOutcome.CANCELLED
    job.refresh_from_db()
    assert (job.status, job.error_code, job.attempts, job.counts) == (JobStatus.CANCELLED, code, 1, None)


def test_a_run_stops_when_its_booking_ends(world, published):
    world.booking.ends_at = timezone.now() + timedelta(seconds=1)
    world.booking.save()
    job = JobFactory(queued=True, booking=world.booking, qasm=slow_circuit(), shots=1000)
    job_publish(job_id=job.pk)
    assert deliver(job) == JobRunOutcome.STOPPED
    job.refresh_from_db()
    assert (job.status, job.error_code, job.counts) == (JobStatus.CANCELLED, "booking_ended", None)


def _stranded(world, *, attempts, worker="gone@host"):
    long_ago = timezone.now() - STRANDED_AFTER - timedelta(seconds=5)
    return JobFactory(
        queued=True,
        booking=world.booking,
        status=JobStatus.RUNNING,
        submitted_at=long_ago,
        started_at=long_ago,
        attempts=attempts,
        worker=worker,
    )


def test_a_stranded_run_goes_back_to_the_queue_and_then_completes(world, published):
    stranded = _stranded(world, attempts=1)
    worker_heartbeat_record(hostname="alive@host")
    alive = _stranded(world, attempts=1, worker="alive@host")
    now = timezone.now()
    fresh = JobFactory(queued=True, booking=world.booking, status=JobStatus.RUNNING, submitted_at=now, started_at=now)
    assert job_recover_stranded() == {"requeued": 1, "worker_lost": 0}
    stranded.refresh_from_db()
    assert (stranded.status, stranded.attempts, stranded.worker) == (JobStatus.QUEUED, 1, "")
    assert published.call_args.kwargs["args"] == (stranded.pk, stranded.enqueued_at.isoformat())
    for job in (alive, fresh):
        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING
    assert deliver(stranded) == JobRunOutcome.COMPLETED
    stranded.refresh_from_db()
    assert (stranded.status, stranded.attempts) == (JobStatus.COMPLETED, 2)


def test_a_stranded_run_that_used_its_attempts_fails_with_worker_lost(world, published, settings):
    settings.QPU_JOB_MAX_ATTEMPTS = 3
    job = _stranded(world, attempts=3)
    WorkerHeartbeat.objects.create(hostname="gone@host", seen_at=timezone.now() - timedelta(minutes=5))
    assert job_recover_stranded() == {"requeued": 0, "worker_lost": 1}
    job.refresh_from_db()
    assert (job.status, job.error_code) == (JobStatus.FAILED, "worker_lost")
    published.assert_not_called()


def test_a_recovered_run_whose_worker_was_alive_after_all_stops(world, published):
    job = JobFactory(queued=True, booking=world.booking)
    job_publish(job_id=job.pk)
    job.refresh_from_db()
    stop = execution._StopCheck([execution._Claim(job, attempt=1)], worker="slow@host")
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1)
    assert stop() is False
    Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)  # recovered as stranded meanwhile
    assert stop() is True


# --- a pass: the queued jobs that follow a job run with it ---


def _queued(world, count, **kwargs):
    jobs = [submit(world, **kwargs) for _ in range(count)]
    for job in jobs:
        job.refresh_from_db()
    return jobs


def test_a_job_takes_the_queued_jobs_of_its_booking_into_its_pass(world, published):
    jobs = _queued(world, 4)
    assert deliver(jobs[0]) == JobRunOutcome.COMPLETED
    for job in jobs:
        job.refresh_from_db()
        assert (job.status, job.attempts, job.worker) == (JobStatus.COMPLETED, 1, "")
        assert sum(job.counts.values()) == job.shots
        # Each is metered as if it ran alone: its own overhead.
        assert job.qpu_seconds == pytest.approx(job.estimated_qpu_seconds)
        (circuit,) = job.circuits.all()
        assert (circuit.counts, circuit.seed) == (job.counts, job.seed)
    assert len({job.started_at for job in jobs}) == 1
    # Their own messages then find them finished and do nothing.
    assert [deliver(job) for job in jobs[1:]] == [JobRunOutcome.IGNORED] * 3


def test_a_pass_names_the_messages_of_its_other_jobs_once_it_is_over(world, published):
    jobs = _queued(world, 3)
    settled: list[str] = []
    assert job_execute(job_id=jobs[0].pk, token=jobs[0].enqueued_at.isoformat(), settled=settled.extend) == (
        JobRunOutcome.COMPLETED
    )
    # The messages of the other two, by the ids they are published with (see the submission test above).
    assert settled == [job_message_id(job.pk, job.enqueued_at) for job in jobs[1:]]
    # A job whose message the broker refused (no token) runs in a pass all the same; it has no message to name.
    unpublished = _queued(world, 2)
    Job.objects.filter(pk=unpublished[1].pk).update(enqueued_at=None)
    job_execute(job_id=unpublished[0].pk, token=unpublished[0].enqueued_at.isoformat(), settled=settled.extend)
    assert Job.objects.get(pk=unpublished[1].pk).status == JobStatus.COMPLETED
    assert len(settled) == 2
    # A job alone names none.
    alone = submit(world)
    alone.refresh_from_db()
    job_execute(job_id=alone.pk, token=alone.enqueued_at.isoformat(), settled=settled.extend)
    assert len(settled) == 2


def test_jobs_run_together_keep_their_own_seeds_and_counts_as_if_alone(world, published):
    # Without a seed they share one Aer run; each records the seed that gives its counts again when run alone.
    unseeded = _queued(world, 3)
    seeded = _queued(world, 2, seed=424242)
    deliver(unseeded[0])
    for job in [*unseeded, *seeded]:
        job.refresh_from_db()
        assert job.status == JobStatus.COMPLETED
    assert len({job.seed for job in unseeded}) == 3
    assert [job.seed for job in seeded] == [424242, 424242]
    assert seeded[0].counts == seeded[1].counts
    for job in [unseeded[1], seeded[0]]:
        again = submit(world, seed=job.seed)
        assert deliver(again) == JobRunOutcome.COMPLETED
        again.refresh_from_db()
        assert again.counts == job.counts


def test_a_pass_is_bounded_in_jobs_and_in_work(world, published, monkeypatch):
    monkeypatch.setattr(execution, "PASS_MAX_JOBS", 3)
    jobs = _queued(world, 5)
    deliver(jobs[0])
    statuses = [Job.objects.get(pk=job.pk).status for job in jobs]
    assert statuses == [JobStatus.COMPLETED] * 3 + [JobStatus.QUEUED] * 2
    # Work: shots x (PRX + CZ + depth) of each job; a budget of two jobs' work takes one follower.
    first = Job.objects.get(pk=jobs[3].pk)
    work = execution._work(first.shots, first.prx_count, first.cz_count, first.depth)
    assert work > 0
    monkeypatch.setattr(execution, "PASS_MAX_WORK", 2 * work)
    deliver(jobs[3])
    assert Job.objects.get(pk=jobs[4].pk).status == JobStatus.COMPLETED
    late = _queued(world, 2)
    monkeypatch.setattr(execution, "PASS_MAX_WORK", 2 * work - 1)
    deliver(late[0])
    assert [Job.objects.get(pk=job.pk).status for job in late] == [JobStatus.COMPLETED, JobStatus.QUEUED]


def test_a_pass_takes_only_never_run_jobs_of_the_same_booking(world, published):
    other_booking = BookingFactory(
        backend=world.backend, project=world.project, user=world.member, starts_at=world.booking.ends_at,
        ends_at=world.booking.ends_at + timedelta(hours=1),
    )  # fmt: skip
    first, rerun = _queued(world, 2)
    Job.objects.filter(pk=rerun.pk).update(attempts=1)  # it ran before: its worker died
    later = JobFactory(queued=True, booking=other_booking, submitted_at=timezone.now())
    Job.objects.filter(pk=later.pk).update(prx_count=1, cz_count=1, depth=1)
    deliver(first)
    assert Job.objects.get(pk=first.pk).status == JobStatus.COMPLETED
    assert Job.objects.get(pk=rerun.pk).status == JobStatus.QUEUED
    assert Job.objects.get(pk=later.pk).status == JobStatus.QUEUED
    # A job that has run before leads a pass of its own.
    assert deliver(rerun) == JobRunOutcome.COMPLETED


def test_a_pass_takes_no_job_submitted_after_it_started(world, published):
    # Submitted while the first job was being claimed: its submission time is after the pass's start.
    first, late = _queued(world, 2)
    Job.objects.filter(pk=late.pk).update(submitted_at=timezone.now() + timedelta(seconds=5))
    assert deliver(first) == JobRunOutcome.COMPLETED
    late.refresh_from_db()
    assert (late.status, late.attempts, late.started_at) == (JobStatus.QUEUED, 0, None)


def test_a_job_cancelled_during_its_pass_stays_cancelled_and_the_others_complete(world, published):
    jobs = _queued(world, 3)
    real_run = execution.run_isolated

    def cancel_one_meanwhile(*args, **kwargs):
        job_cancel(job=Job.objects.get(pk=jobs[1].pk))
        return real_run(*args, **kwargs)

    with mock.patch.object(execution, "run_isolated", side_effect=cancel_one_meanwhile):
        assert deliver(jobs[0]) == JobRunOutcome.COMPLETED
    statuses = {job.pk: (job.status, job.error_code) for job in Job.objects.filter(pk__in=[j.pk for j in jobs])}
    assert statuses == {
        jobs[0].pk: (JobStatus.COMPLETED, ""),
        jobs[1].pk: (JobStatus.CANCELLED, JobErrorCode.CANCELLED_BY_USER),
        jobs[2].pk: (JobStatus.COMPLETED, ""),
    }
    assert JobCircuit.objects.get(job=jobs[1]).counts is None


def test_a_pass_is_stopped_only_when_none_of_its_jobs_still_runs(world, published):
    jobs = _queued(world, 2)
    for job in jobs:
        Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1)
    stop = execution._StopCheck([execution._Claim(job, attempt=1) for job in jobs], worker="pass@host")
    assert stop() is False
    job_cancel(job=jobs[0])
    assert stop() is False
    job_cancel(job=jobs[1])
    assert stop() is True


def test_a_pass_past_the_time_limit_goes_back_to_the_queue_and_each_job_then_runs_alone(world, published, settings):
    settings.QPU_JOB_TIME_LIMIT_S = 0.001
    jobs = _queued(world, 3)
    assert deliver(jobs[0]) == JobRunOutcome.REQUEUED
    for job in jobs:
        job.refresh_from_db()
        assert (job.status, job.attempts, job.worker, job.counts) == (JobStatus.QUEUED, 1, "", None)
    # Published again; alone, each fails by itself and takes no other job with it.
    assert deliver(jobs[1]) == JobRunOutcome.FAILED
    assert [Job.objects.get(pk=job.pk).status for job in jobs] == [JobStatus.QUEUED, JobStatus.FAILED, JobStatus.QUEUED]
    assert Job.objects.get(pk=jobs[1].pk).error_code == JobErrorCode.TIME_LIMIT


def test_a_failure_in_a_pass_is_the_failing_jobs_own(world, published):
    jobs = _queued(world, 3)
    JobCircuit.objects.filter(job=jobs[1]).update(compiled=b"not a circuit")
    deliver(jobs[0])
    states = [Job.objects.get(pk=job.pk) for job in jobs]
    assert [job.status for job in states] == [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.COMPLETED]
    assert states[1].error_code == JobErrorCode.SIMULATION_ERROR


def test_a_pass_that_fails_in_the_worker_is_rolled_back_and_goes_back_to_the_queue(world, published):
    first, other = _queued(world, 2)
    real_run = execution.run_isolated

    def one_result_too_many(*args, **kwargs):
        answers = real_run(*args, **kwargs)
        extra = replace(answers[1].results[0], index=1)
        return [answers[0], replace(answers[1], results=[*answers[1].results, extra])]

    published.reset_mock()
    settled: list[str] = []
    with mock.patch.object(execution, "run_isolated", side_effect=one_result_too_many), pytest.raises(RuntimeError):
        job_execute(job_id=first.pk, token=first.enqueued_at.isoformat(), settled=settled.extend)
    assert settled == []  # their messages are not given up: each job is published again anyway
    # Nothing of the pass's completion stays, and its jobs are not left running on a worker that lives on (the
    # stranded-job recovery would never take them): back in the queue, the run counted, published again.
    for job in (first, other):
        job.refresh_from_db()
        assert (job.status, job.attempts, job.worker, job.counts, job.finished_at) == (
            JobStatus.QUEUED,
            1,
            "",
            None,
            None,
        )
    assert not JobCircuit.objects.filter(job__in=[first, other], counts__isnull=False).exists()
    assert sorted(call.kwargs["args"][0] for call in published.call_args_list) == sorted([first.pk, other.pk])
    # Each then runs alone, and completes.
    assert [deliver(job) for job in (first, other)] == [JobRunOutcome.COMPLETED] * 2


def test_a_pass_costs_the_same_queries_for_any_number_of_jobs(world, published, django_assert_num_queries):
    worker_heartbeat_record(hostname="pinned@host")
    # One job alone (JOB_RUN_QUERIES), then passes of 3 and 6 jobs: 2 more, whatever their number (the followers'
    # claim and the read of which it won; their circuits are read, and their counts written, with the first's).
    for count in (3, 6):
        jobs = _queued(world, count)
        with django_assert_num_queries(JOB_RUN_QUERIES + 2):
            outcome = job_execute(job_id=jobs[0].pk, token=jobs[0].enqueued_at.isoformat(), worker="pinned@host")
        assert outcome == JobRunOutcome.COMPLETED
        assert not Job.objects.filter(pk__in=[job.pk for job in jobs]).exclude(status=JobStatus.COMPLETED).exists()


def test_the_models_batch_limits_are_the_simulators():
    from scheduling import models, simulator

    assert (models.MAX_BATCH_CIRCUITS, models.MAX_BATCH_SHOTS, models.MAX_SHOTS) == (
        simulator.MAX_BATCH_CIRCUITS,
        simulator.MAX_BATCH_SHOTS,
        simulator.MAX_SHOTS,
    )


# --- a booking that ends or is cancelled, an outage ---


def _pending_pair(world):
    now = timezone.now()
    running = JobFactory(queued=True, booking=world.booking, status=JobStatus.RUNNING, submitted_at=now, started_at=now)
    return running, JobFactory(queued=True, booking=world.booking)


def _assert_ended(jobs, status, code):
    for job in jobs:
        job.refresh_from_db()
        assert (job.status, job.error_code, job.counts) == (status, code, None)
        assert job.finished_at is not None


def test_the_booking_sweeper_ends_the_jobs_of_ended_bookings(world, published):
    from scheduling.services import booking_sweep

    jobs = _pending_pair(world)
    booking_sweep(now=world.booking.ends_at + timedelta(seconds=1))
    _assert_ended(jobs, JobStatus.CANCELLED, JobErrorCode.BOOKING_ENDED)
    world.booking.refresh_from_db()
    assert world.booking.status == BookingStatus.COMPLETED  # a job ran in it


def test_a_maintenance_window_over_a_booking_ends_its_jobs(world, published, facility_manager):
    from scheduling.services import maintenance_window_create

    jobs = _pending_pair(world)
    result = maintenance_window_create(
        backend=world.backend,
        starts_at=world.booking.starts_at,
        ends_at=world.booking.ends_at,
        title="Fridge",
        by=facility_manager,
    )
    assert result.cancelled_bookings == [world.booking.pk]
    _assert_ended(jobs, JobStatus.CANCELLED, JobErrorCode.BOOKING_CANCELLED)


def test_an_outage_fails_the_running_job_and_holds_the_queued_ones(world, published):
    from scheduling.services import outage_create

    running, queued = _pending_pair(world)
    outage_create(backend=world.backend, starts_at=timezone.now(), severity=OutageSeverity.MAJOR, cause="Leak")
    _assert_ended([running], JobStatus.FAILED, JobErrorCode.OUTAGE)
    queued.refresh_from_db()
    assert (queued.status, queued.error_code) == (JobStatus.QUEUED, "")
    job_publish(job_id=queued.pk)
    assert deliver(queued) == JobRunOutcome.HELD


def test_a_cancellation_that_read_the_time_before_a_submission_finishes_the_job_at_its_submission(world):
    """A booking's cancellation reads the time, then waits for the booking's lock while a job is submitted: the job
    is cancelled, finished when it was submitted (never before: the database refuses that)."""
    job = Job.objects.get(pk=JobFactory(queued=True, booking=world.booking).pk)
    read_before = job.submitted_at - timedelta(seconds=2)
    assert job_cancel_for_bookings(bookings=[world.booking.pk], code=JobErrorCode.BOOKING_CANCELLED, now=read_before)
    job.refresh_from_db()
    assert (job.status, job.error_code, job.finished_at) == (
        JobStatus.CANCELLED,
        JobErrorCode.BOOKING_CANCELLED,
        job.submitted_at,
    )
    other = Job.objects.get(pk=JobFactory(queued=True, booking=world.booking).pk)
    later = other.submitted_at + timedelta(seconds=5)
    job_cancel_for_bookings(bookings=[world.booking.pk], code=JobErrorCode.BOOKING_CANCELLED, now=later)
    other.refresh_from_db()
    assert other.finished_at == later
