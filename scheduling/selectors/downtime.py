"""Reads of maintenance windows and outages."""

from __future__ import annotations

from django.db.models import QuerySet

from scheduling.models import Backend, MaintenanceWindow, Outage


def maintenance_window_list(*, backend: Backend | None = None) -> QuerySet[MaintenanceWindow]:
    qs = MaintenanceWindow.objects.select_related("backend", "work_order")
    if backend is not None:
        qs = qs.filter(backend=backend)
    return qs.order_by("-starts_at", "pk")


def outage_list(*, backend: Backend | None = None, ongoing: bool | None = None) -> QuerySet[Outage]:
    qs = Outage.objects.select_related("backend", "work_order")
    if backend is not None:
        qs = qs.filter(backend=backend)
    if ongoing is not None:
        qs = qs.filter(ends_at__isnull=ongoing)
    return qs.order_by("-starts_at", "pk")
