"""Settings of the real worker subprocesses started by the fault-injection tests (not a test module).

The test settings with tasks no longer eager (a worker that re-schedules a job must publish, not run it
inline) and a short broker visibility timeout, so that a message whose worker was killed comes back in
seconds instead of an hour.
"""

from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
