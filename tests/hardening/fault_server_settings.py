"""Settings of the gunicorn subprocess of the PostgreSQL restart test (not a test module).

The test settings, but with the connection pool on as in production (`config.settings.base`): the test
settings turn it off, and what must recover after a database restart is the production configuration.
"""

from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES, env

if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"]["pool"] = env.bool("DATABASE_POOL", default=True)
