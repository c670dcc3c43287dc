"""Settings for every deployment, driven by the environment (and an optional `.env`)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

django_stubs_ext.monkeypatch()  # ModelAdmin[...] and friends are subscriptable at run time

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env")  # real environment variables win

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")  # Django refuses to start with an empty key
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
VAR_DIR = Path(env.str("DJANGO_VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    "core",
    "accounts",
    "facility",
    "procurement",
    "scheduling",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RequestSizeLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
    "core.middleware.PrivateApiCacheMiddleware",
    # Last: it turns a sign-in refused by the lockout (on any door) into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

# The lockout backend comes first: a locked-out client is refused before its password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # embedded default
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
    }
else:  # PostgreSQL via psycopg 3; the pool excludes CONN_MAX_AGE
    # A request waits at most DATABASE_POOL_TIMEOUT seconds for a connection: while the database is unreachable
    # (a restart, a failover) requests answer 503 `database_unavailable` that quickly instead of holding a worker for
    # psycopg's default 30 s, and succeed again as soon as it is back.
    # Each process (a gunicorn worker, a Celery worker or its pool process) uses one connection at a time: its pool
    # keeps one open and opens up to three more if ever needed, which it closes again after ten idle minutes
    # (psycopg's default keeps four open in every process).
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = (
        {"timeout": env.float("DATABASE_POOL_TIMEOUT", default=1.0), "min_size": 1, "max_size": 4}
        if env.bool("DATABASE_POOL", default=True)
        else False
    )
    # With the pool on, Django hands this to psycopg's pool as `check=ConnectionPool.check_connection`: a connection
    # is checked before it is lent, so a server restart costs no failed request afterwards. Passing `check` in the
    # pool options as well makes the pool's constructor fail (Django 5.2 already passes it).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_USER_TIME_ZONE = "Asia/Seoul"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Request size (DESIGN.md 5, API.md `request_too_large`), bounded before a body is read (core.middleware): a
# body that is not an upload (JSON; Django's own form fields too) at most 1 MiB, so exactly 1 048 576 bytes pass;
# an uploaded file at most 25 MB (MiB, as every size here), a multipart request that plus 1 MiB of form fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # larger uploads are spooled to a temporary file
MAX_UPLOAD_BYTES = 25 * 1024 * 1024

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Quantum Facility Records <noreply@localhost>")

OCDS_PREFIX = env.str("OCDS_PREFIX", default="ocds-qfr001")
REPORTS_EMAIL_TO: list[str] = env.list("REPORTS_EMAIL_TO", default=[])

# Sign-in lockout on every door (portal, admin, API token): see the Security block.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)

# --- REST API ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        # JSON only: the document upload takes multipart (its own parser_classes); anything else answers 415.
        "core.parsers.StrictJSONParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
    },
    # Throttles key anonymous clients by the address the trusted proxies saw, never by the client's own
    # X-Forwarded-For (TRUSTED_PROXIES, Security block).
    "NUM_PROXIES": env.int("DJANGO_TRUSTED_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Quantum Facility Records API",
    "DESCRIPTION": "Procurement, facility, scheduling and reports of an on-premises quantum computer.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents the error bodies and codes of API.md it can answer (config/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.postprocess_error_responses",
    ],
    # Swagger UI's assets are served from this project (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several apps have a `status`/`kind`/`method` field with different choices: name each enum after its class.
    "ENUM_NAME_OVERRIDES": {
        "LanguageEnum": "accounts.choices.Language",
        "OrganizationKindEnum": "facility.choices.OrganizationKind",
        "OfficeStatusEnum": "facility.choices.OfficeStatus",
        "ActivityKindEnum": "facility.choices.ActivityKind",
        "EquipmentKindEnum": "facility.choices.EquipmentKind",
        "EquipmentStatusEnum": "facility.choices.EquipmentStatus",
        "WorkOrderKindEnum": "facility.choices.WorkOrderKind",
        "WorkOrderStatusEnum": "facility.choices.WorkOrderStatus",
        "ProcessStatusEnum": "procurement.choices.ProcessStatus",
        "ProcurementCategoryEnum": "procurement.choices.ProcurementCategory",
        "ProcurementMethodEnum": "procurement.choices.ProcurementMethod",
        "TenderStatusEnum": "procurement.choices.TenderStatus",
        "AwardStatusEnum": "procurement.choices.AwardStatus",
        "ContractStatusEnum": "procurement.choices.ContractStatus",
        "MilestoneStatusEnum": "procurement.choices.MilestoneStatus",
        "MilestoneTypeEnum": "procurement.choices.MilestoneType",
        "AwardCriteriaEnum": "procurement.choices.AwardCriteria",
        "DocumentTypeEnum": "procurement.choices.DocumentType",
        "BidStatusEnum": "procurement.choices.BidStatus",
        "PaymentMethodEnum": "procurement.choices.PaymentMethod",
        "DocumentStageEnum": "procurement.choices.DocumentStage",
        "CurrencyEnum": "procurement.choices.Currency",
        "BackendStatusEnum": "scheduling.choices.BackendStatus",
        "MaintenanceKindEnum": "scheduling.choices.MaintenanceKind",
        "OutageSeverityEnum": "scheduling.choices.OutageSeverity",
        "MembershipRoleEnum": "scheduling.choices.MembershipRole",
        "BookingStatusEnum": "scheduling.choices.BookingStatus",
        "CancelReasonEnum": "scheduling.choices.CancelReason",
        "JobStatusEnum": "scheduling.choices.JobStatus",
        "JobCancelReasonEnum": "scheduling.choices.JobCancelReason",
        "JobErrorCodeEnum": "scheduling.choices.JobErrorCode",
        "ReportKindEnum": "reports.choices.ReportKind",
        "ReportStatusEnum": "reports.choices.ReportStatus",
        "ReportFormatEnum": "reports.choices.ReportFormat",
    },
}

# Throttle counters and login rate limits must agree across processes and hosts: a shared cache
# (the database by default; `CACHE_URL=redis://…` in production).
CACHES = {"default": env.cache_url("CACHE_URL", default="dbcache://qfr_cache")}

# --- Celery ---
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue = str(VAR_DIR / "celery" / "queue")  # one folder in and out: web and worker share this config
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": _queue,
        "data_folder_out": _queue,
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}  # > longest countdown + run time
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "scheduling.tasks.job_execute_task": {"queue": "qpu"},
    "reports.tasks.*": {"queue": "reports"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connections before and after every task, and in a prefork worker with
# psycopg's pool it closes the whole pool: each task of the README's prefork workers (default, reports) connected to
# PostgreSQL anew, about 5 ms a task. It now does so once in this many tasks; between, config.celery hands the
# connection back to the pool before and after each task (Django's close_old_connections, as around a request), and
# the pool checks it before lending it again.
CELERY_DB_REUSE_MAX = 10_000
CELERY_TASK_SOFT_TIME_LIMIT, CELERY_TASK_TIME_LIMIT = 10 * 60, 15 * 60
# The QPU is shared (DESIGN.md 3.4): a job's simulation is killed past this wall-clock limit (the job fails with
# `time_limit`, never re-run), and a job whose worker died is run at most this many times (then `worker_lost`).
QPU_JOB_TIME_LIMIT_S = env.float("QPU_JOB_TIME_LIMIT_S", default=300.0)
QPU_JOB_MAX_ATTEMPTS = env.int("QPU_JOB_MAX_ATTEMPTS", default=3)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "worker-heartbeat": {"task": "core.tasks.worker_heartbeat_task", "schedule": crontab(minute="*")},
}

# --- Security ---
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=not DEBUG)

# How many reverse proxies in front of Django append to X-Forwarded-For. 0: the client is the socket's peer
# (REMOTE_ADDR) and any X-Forwarded-For is the client's own word, never trusted. N: the client is the N-th
# address from the right of X-Forwarded-For, the one the outermost trusted proxy saw.
TRUSTED_PROXIES = env.int("DJANGO_TRUSTED_PROXIES", default=0)

# Sign-in lockout (django-axes) on the portal, the admin and the API token endpoint. Failures are counted
# by client address and, separately, by account: LOGIN_FAILURE_LIMIT failures from one address (whatever the
# user names) or against one account (from whatever addresses) lock out further attempts, the right password
# too, until LOGIN_FAILURE_WINDOW_SECONDS have passed since the last failure. Counted in the database, so
# every web process and host agrees. A successful sign-in does not clear the count: otherwise anyone with
# an account could clear the count of their address between guesses at someone else's.
# `manage.py axes_list_attempts` shows the counts; `axes_reset_username NAME` / `axes_reset_ip ADDRESS` lift a
# lockout early. axes' own admin pages (attempts, logs) are not enabled.
AXES_ENABLE_ADMIN = False
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_FAILURE_WINDOW_SECONDS)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = False
# Attempts made while locked out are refused without being written: a flood costs no writes, and the
# lockout ends one window after the last failure that counted.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip_address"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"

# Content-Security-Policy on every response (django-csp): no inline script or style anywhere, the portal,
# the admin and the API docs (Swagger UI from the sidecar assets, its start script a file) included.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # Qiskit logs every transpiler pass at INFO; axes announces itself at INFO in every process.
    "loggers": {name: {"level": "WARNING"} for name in ("qiskit", "qiskit_aer", "stevedore", "axes.apps")},
}
