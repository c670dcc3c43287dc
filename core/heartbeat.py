"""Worker heartbeats: each Celery worker records that it is alive every minute; /readyz shows the latest."""

from __future__ import annotations

import socket

from django.db.models import F
from django.utils import timezone

from core.models import WorkerHeartbeat


def worker_heartbeat_record(*, hostname: str | None = None) -> None:
    """Record that a worker is alive (idempotent per run: one row per host, counter bumped); one query once the
    host has its row (the QPU worker records it before every job it claims)."""
    host = hostname or socket.gethostname()
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(hostname=host).update(seen_at=now, beats=F("beats") + 1)
    if not updated:
        heartbeat, created = WorkerHeartbeat.objects.get_or_create(hostname=host, defaults={"seen_at": now, "beats": 1})
        if not created:
            WorkerHeartbeat.objects.filter(pk=heartbeat.pk).update(seen_at=now, beats=F("beats") + 1)


def worker_heartbeat_latest() -> WorkerHeartbeat | None:
    """The most recent worker heartbeat, if any worker ever ran."""
    return WorkerHeartbeat.objects.order_by("-seen_at").first()
