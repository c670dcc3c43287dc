"""Admin of the shared layer: the worker heartbeats (read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from core.models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin[WorkerHeartbeat]):
    list_display = ["hostname", "seen_at", "beats"]
    readonly_fields = ["hostname", "seen_at", "beats"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
