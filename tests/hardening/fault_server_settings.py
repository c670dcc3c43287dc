"""Settings of the gunicorn subprocess of the PostgreSQL restart test (not a test module).

The test settings, which keep production's connection pool, health checks and pool timeout
(`config.settings.base`): what must fail cleanly and recover after a database restart is the production
configuration. Nothing is overridden here; the module exists so the subprocess names its settings explicitly.
"""

from config.settings.test import *  # noqa: F403
