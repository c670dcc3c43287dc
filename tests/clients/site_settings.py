"""Settings of the live site the client tests start (gunicorn and a Celery worker; not a test module).

The test settings with tasks published to the broker instead of run inline: the web process queues a job, the
worker runs it, as in production.
"""

from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
