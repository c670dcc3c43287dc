"""Task behaviour with a real worker on Redis, end to end (the worker faults: test_worker_faults.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app
from scheduling.choices import JobStatus
from scheduling.models import Job
from scheduling.services.jobs import job_submit
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
