"""Worker deaths with real Celery workers on Redis (DESIGN.md 3.4; issue 15 points 2 and 7): a worker SIGKILLed
mid-job leaves the job to be completed exactly once, with its attempts counted; a job whose workers die more
often than QPU_JOB_MAX_ATTEMPTS allows fails with `worker_lost`.

The workers run as production runs them, with the job tests' worker settings (a 2 s broker visibility timeout,
so that a dead worker's message comes back in seconds). A job is made slow by a circuit that Aer simulates shot
by shot (`slow_circuit`), never by a hook in the code.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app
from core.models import WorkerHeartbeat
from scheduling.choices import JobErrorCode, JobStatus
from scheduling.models import Job, JobCircuit
from scheduling.services.jobs import STRANDED_AFTER, job_recover_stranded, job_submit
from tests.support import kill_process, slow_circuit, start_qpu_worker, wait_for

pytestmark = pytest.mark.worker


@pytest.fixture
def workers(transactional_db) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Worker processes the test starts (all killed at the end); tasks go to Redis meanwhile."""
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("qpu")
    app.conf.task_always_eager = False
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        app.conf.task_always_eager = True
        for process in started:
            kill_process(process)


def running(job: Job, attempt: int) -> bool:
    return Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=attempt).exists()


def test_worker_deaths_rerun_a_job_to_completion_exactly_once_then_fail_it_past_the_attempts(
    workers, world, tmp_path, settings
):
    def submit(shots: int) -> Job:
        qasm = slow_circuit()
        return job_submit(user=world.member, backend=world.backend, project=world.project, qasm=qasm, shots=shots)

    # 1. A worker is SIGKILLed in the middle of a job (a few seconds of simulation).
    job = submit(300)
    workers.append(start_qpu_worker("doomed", tmp_path / "doomed.log"))
    wait_for(lambda: running(job, 1), timeout=60)
    kill_process(workers[0])
    job.refresh_from_db()
    assert (job.status, job.attempts, job.finished_at, job.counts) == (JobStatus.RUNNING, 1, None, None)

    # The broker hands the unacknowledged message to the next worker, which runs the job again to completion.
    workers.append(start_qpu_worker("rescuer", tmp_path / "rescuer.log"))
    wait_for(lambda: Job.objects.filter(pk=job.pk, status=JobStatus.COMPLETED).exists(), timeout=60)
    job.refresh_from_db()
    done = (job.status, job.attempts, job.finished_at, job.counts)
    assert job.attempts == 2
    assert sum(job.counts.values()) == 300
    assert JobCircuit.objects.get(job=job).counts == job.counts
    time.sleep(3)  # a late duplicate delivery would change finished_at or attempts
    job.refresh_from_db()
    assert (job.status, job.attempts, job.finished_at, job.counts) == done

    # 2. A long job loses its worker twice: with QPU_JOB_MAX_ATTEMPTS = 2 it is not run a third time.
    settings.QPU_JOB_MAX_ATTEMPTS = 2
    doomed = submit(20_000)
    wait_for(lambda: running(doomed, 1), timeout=60)
    kill_process(workers[1])
    workers.append(start_qpu_worker("second", tmp_path / "second.log"))
    wait_for(lambda: running(doomed, 2), timeout=60)
    kill_process(workers[2])
    # No worker is left: the stranded-job sweeper finds the run whose worker's heartbeat is gone.
    doomed.refresh_from_db()
    assert WorkerHeartbeat.objects.filter(hostname=doomed.worker).exists()  # recorded before the claim
    later = timezone.now() + STRANDED_AFTER + timedelta(seconds=1)
    assert job_recover_stranded(now=later) == {"requeued": 0, "worker_lost": 1}
    doomed.refresh_from_db()
    assert (doomed.status, doomed.error_code, doomed.attempts, doomed.counts) == (
        JobStatus.FAILED,
        JobErrorCode.WORKER_LOST,
        2,
        None,
    )
