"""Tests: eager tasks (real-worker tests switch to Redis themselves), fast hashing, locmem e-mail."""

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, VAR_DIR, env

DEBUG = False
SECRET_KEY = "test-only-insecure-key-0123456789abcdefghijklmnopqrstuvwxyz"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
ALLOWED_HOSTS = ["*"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "test-media"

CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# The broker real-worker tests use; eager tests never touch it.
TEST_CELERY_BROKER_URL = env.str("TEST_CELERY_BROKER_URL", default=env.str("CELERY_BROKER_URL", default=""))
if not TEST_CELERY_BROKER_URL or TEST_CELERY_BROKER_URL.startswith("filesystem://"):
    TEST_CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
CELERY_BROKER_URL = TEST_CELERY_BROKER_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: tests that use several threads or processes must all see the same database.
    DATABASES["default"]["TEST"] = {"NAME": f"{DATABASES['default']['NAME']}-test"}
# On PostgreSQL the suite keeps production's connection pool and health checks (`config.settings.base`): a pool
# setting that only tests use would leave production's own untested.

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "user": "100000/min"},
}

# Serve static files from the app folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Throttle counters live in memory here so that query-count tests count only the app's own queries.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
