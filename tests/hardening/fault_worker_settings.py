"""Settings of the Celery worker subprocesses of the fault tests (not a test module).

The job tests' worker settings (tasks not eager, a 2 s visibility timeout so that the message of a killed
worker comes back at once), plus e-mail written to files and media in a folder the test chooses, so that
the test can count what a report produced.
"""

from pathlib import Path

from tests.scheduling.jobs.worker_settings import *  # noqa: F403
from tests.scheduling.jobs.worker_settings import MEDIA_ROOT, env

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = env.str("QFR_TEST_EMAIL_DIR", default="/tmp/qfr-test-mail")  # noqa: S108
MEDIA_ROOT = Path(env.str("QFR_TEST_MEDIA_ROOT", default=str(MEDIA_ROOT)))
