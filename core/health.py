"""Health endpoints: `/healthz` (the process is up) and `/readyz` (the database and the broker answer)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from kombu import Connection

from core.heartbeat import worker_heartbeat_latest


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"; report it, do not raise
        return f"{type(exc).__name__}: {exc}".strip()
    return None


def _check_broker() -> str | None:
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS),
            connect_timeout=2,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            if conn.transport_cls == "filesystem" or settings.CELERY_BROKER_URL.startswith("filesystem://"):
                conn.default_channel  # opens the folders: fails when they are missing or unwritable  # noqa: B018
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()
    return None


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer; 503 naming what failed otherwise."""
    checks: dict[str, Any] = {}
    failed = False
    for name, check in (("database", _check_database), ("broker", _check_broker)):
        error = check()
        checks[name] = {"ok": error is None} | ({"error": error} if error else {})
        failed = failed or error is not None
    if checks["database"]["ok"]:
        heartbeat = worker_heartbeat_latest()
        checks["worker"] = {
            "last_seen": heartbeat.seen_at.isoformat() if heartbeat else None,
            "age_seconds": round((timezone.now() - heartbeat.seen_at).total_seconds()) if heartbeat else None,
        }
    body = {"status": "unavailable" if failed else "ok", "checks": checks}
    return JsonResponse(body, status=503 if failed else 200)
