"""Task behaviour with real workers on Redis: end to end, and a worker killed in the middle of a job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app
from scheduling.choices import JobStatus
from scheduling.models import Job
from scheduling.services.jobs import TEST_DELAY_ENV, job_submit
from scheduling.tasks import job_execute_task
from tests.factories import ghz
from tests.support import wait_for

ROOT = Path(settings.BASE_DIR)


def test_job_task_is_acks_late_and_routed_to_the_qpu_queue():
    assert job_execute_task.name == "scheduling.tasks.job_execute_task"
    assert job_execute_task.acks_late is True
    assert job_execute_task.reject_on_worker_lost is True
    assert app.amqp.router.route({}, job_execute_task.name)["queue"].name == "qpu"


@pytest.mark.worker
def test_real_worker_runs_a_job_end_to_end(celery_worker, world):
    job = job_submit(user=world.member, backend=world.backend, project=world.project, qasm=ghz(5), shots=500)
    wait_for(lambda: Job.objects.filter(pk=job.pk, status=JobStatus.COMPLETED).exists(), timeout=30)
    job.refresh_from_db()
    assert sum(job.counts.values()) == 500
    assert job.attempts == 1
    assert (job.qpu_seconds or 0) > 2
    assert (job.cz_count or 0) >= 4
    assert job.error == ""


def _test_database_url() -> str:
    """The URL of the database this test runs on (the test database, not the configured one)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(name: str, extra_env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.scheduling.jobs.worker_settings",
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "TEST_CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **extra_env,
    }
    celery = [str(Path(sys.executable).with_name("celery"))]
    command = [
        *celery,
        "-A",
        "config",
        "worker",
        "-Q",
        "qpu",
        "-P",
        "solo",
        "-c",
        "1",
        "-n",
        f"{name}@%h",
        "-l",
        "INFO",
    ]
    # Own session: the worker and anything it starts can be killed as one process group.
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(  # noqa: S603  (a fixed command line, no user input)
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.mark.worker
def test_worker_killed_mid_job_leaves_it_to_be_rerun_to_completion_exactly_once(transactional_db, world, tmp_path):
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("qpu")
    workers: list[subprocess.Popen[bytes]] = []
    app.conf.task_always_eager = False
    try:
        # The first worker sleeps between claiming and simulating, long enough to be killed while RUNNING.
        workers.append(_start_worker("doomed", {TEST_DELAY_ENV: "60"}, tmp_path / "doomed.log"))
        job = job_submit(user=world.member, backend=world.backend, project=world.project, qasm=ghz(5), shots=2000)
        wait_for(lambda: Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).exists(), timeout=60)
        os.killpg(workers[0].pid, signal.SIGKILL)
        workers[0].wait(timeout=10)
        job.refresh_from_db()
        assert (job.status, job.attempts, job.finished_at) == (JobStatus.RUNNING, 1, None)

        # A new worker gets the unacknowledged message back from the broker and re-runs the job.
        workers.append(_start_worker("rescuer", {TEST_DELAY_ENV: ""}, tmp_path / "rescuer.log"))
        wait_for(lambda: Job.objects.filter(pk=job.pk, status=JobStatus.COMPLETED).exists(), timeout=60)
        job.refresh_from_db()
        finished_at = job.finished_at
        assert job.attempts == 2
        assert sum(job.counts.values()) == 2000
        assert job.error == ""
        # Nothing completes it a second time: a late duplicate delivery would change finished_at or attempts.
        time.sleep(3)
        job.refresh_from_db()
        assert (job.status, job.attempts, job.finished_at) == (JobStatus.COMPLETED, 2, finished_at)
        assert (tmp_path / "rescuer.log").read_text().count(f"[{job.pk}, ") <= 1
    finally:
        app.conf.task_always_eager = True
        for process in workers:
            _kill(process)
