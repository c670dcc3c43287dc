"""Handing jobs to the broker with delivery tokens (see the package docstring), through `core.queue`."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.db.models import Q
from django.utils import timezone

from core.queue import delay_after_commit, task_publish
from scheduling.choices import JobStatus
from scheduling.models import Job

EXECUTE_TASK = "scheduling.tasks.job_execute_task"
# An eta never lies further ahead than this: Redis redelivers a message held unacknowledged longer than its
# visibility timeout (2 h), so a job waiting days for its booking re-schedules itself hourly instead.
MAX_WAIT = timedelta(hours=1)
REFUSED = "could not hand job %s to the broker; the sweeper will publish it again"


def _eta(eta: datetime | None, now: datetime) -> datetime | None:
    return None if eta is None or eta <= now else min(eta, now + MAX_WAIT)


def job_message_id(job_id: int, token: datetime) -> str:
    """The broker message that carries this delivery token of the job: one id per publication, which the logs show
    and a worker can discard unread once a pass settled the job (scheduling.tasks)."""
    return f"job-{job_id}-{token.isoformat()}"


def _unpublished(job_id: int, token: datetime) -> None:
    Job.objects.filter(pk=job_id, enqueued_at=token).update(enqueued_at=None)


def job_publish(*, job_id: int, eta: datetime | None = None) -> bool:
    """Hand a queued job to the broker now with a new delivery token; False if it is not queued or not sent.

    The token is stored before the message exists, so the message can never arrive before its token.
    """
    token = timezone.now()
    if not Job.objects.filter(Q(status=JobStatus.QUEUED), pk=job_id).update(enqueued_at=token):
        return False
    sent = task_publish(
        EXECUTE_TASK,
        job_id,
        token.isoformat(),
        eta=_eta(eta, token),
        refused=REFUSED % job_id,
        task_id=job_message_id(job_id, token),
    )
    if sent:
        return True
    _unpublished(job_id, token)
    return False


def job_publish_on_commit(*, job: Job, eta: datetime | None) -> None:
    """Publish a job saved in this transaction, with the token it was saved with, once the transaction commits."""
    token = job.enqueued_at
    assert token is not None
    delay_after_commit(
        EXECUTE_TASK,
        job.pk,
        token.isoformat(),
        eta=_eta(eta, token),
        refused=REFUSED % job.pk,
        on_refused=partial(_unpublished, job.pk, token),
        task_id=job_message_id(job.pk, token),
    )
