"""Jobs: submission (one circuit or a batch), execution on the simulated backend, stopping, and the sweepers
(DESIGN.md 3.4).

Delivery tokens. Every message handed to the broker carries the time it was published, and the job's
`enqueued_at` holds the token of its one live message. Only that message may claim the job, by
compare-and-set on (status, token, attempts):

- a duplicate or superseded message (older token) does nothing;
- a message Celery redelivers because its worker died (acks_late + reject_on_worker_lost, or the broker's
  visibility timeout) carries the live token, so it re-claims the job left RUNNING and re-runs it, at most
  QPU_JOB_MAX_ATTEMPTS runs in all;
- finishing is a second compare-and-set on the attempt number the run claimed, so if two deliveries ever
  run at once only the latest claim completes the job: never two completions.

The QPU is shared: the simulation runs in a child process under QPU_JOB_TIME_LIMIT_S and is killed when the job
stops being RUNNING (cancelled by its owner or with its booking, recovered as stranded) or its booking ends.

A busy queue runs in passes (execute.py): a job claimed for its first run takes the queued, never-run jobs of its
booking that follow it, within a small bound of jobs and work, each claimed and completed by its own
compare-and-set; their own messages then find them finished, or are discarded unread by the worker that ran the
pass (each message is named after its job and token, `job_message_id`).
"""

from scheduling.services.jobs.execute import HOLD_RECHECK, JobRunOutcome, job_execute
from scheduling.services.jobs.publish import MAX_WAIT, job_message_id, job_publish
from scheduling.services.jobs.stop import (
    LOST_MESSAGE_AFTER,
    STRANDED_AFTER,
    UNPUBLISHED_AFTER,
    job_cancel,
    job_cancel_expired,
    job_cancel_for_bookings,
    job_fail_for_outage,
    job_finish_badly,
    job_publish_stale,
    job_recover_stranded,
)
from scheduling.services.jobs.submit import (
    DEFAULT_SHOTS,
    CircuitInput,
    PreparedBatch,
    job_circuits_prepare,
    job_request_check,
    job_submit,
)

__all__ = [
    "DEFAULT_SHOTS",
    "HOLD_RECHECK",
    "LOST_MESSAGE_AFTER",
    "MAX_WAIT",
    "STRANDED_AFTER",
    "UNPUBLISHED_AFTER",
    "CircuitInput",
    "JobRunOutcome",
    "PreparedBatch",
    "job_cancel",
    "job_cancel_expired",
    "job_cancel_for_bookings",
    "job_circuits_prepare",
    "job_execute",
    "job_fail_for_outage",
    "job_finish_badly",
    "job_message_id",
    "job_publish",
    "job_publish_stale",
    "job_recover_stranded",
    "job_request_check",
    "job_submit",
]
