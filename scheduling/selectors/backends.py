"""Reads of backends: policy joined and the latest calibration prefetched (constant queries)."""

from __future__ import annotations

from datetime import tzinfo
from zoneinfo import ZoneInfo

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from scheduling.models import Backend, CalibrationRecord


def backend_list() -> QuerySet[Backend]:
    """Backends with their policy and `latest_calibrations` (a list of at most one record)."""
    latest = (
        CalibrationRecord.objects.filter(backend=OuterRef("backend")).order_by("-measured_at", "-pk").values("pk")[:1]
    )
    return (
        Backend.objects.select_related("policy", "site", "equipment")
        .prefetch_related(
            Prefetch(
                "calibrations",
                queryset=CalibrationRecord.objects.filter(pk=Subquery(latest)),
                to_attr="latest_calibrations",
            )
        )
        .order_by("name")
    )


def backend_get(pk: int) -> Backend | None:
    return backend_list().filter(pk=pk).first()


def backend_time_zone_get(backend_id: int | None = None) -> tzinfo:
    """The time zone of a backend's site (the admin shows bookings in it). Without a backend: the sites' zone when
    every backend's site shares it, else the zone active for the user."""
    backends = Backend.objects.all() if backend_id is None else Backend.objects.filter(pk=backend_id)
    zones = list(backends.order_by().values_list("site__time_zone", flat=True).distinct()[:2])
    return ZoneInfo(zones[0]) if len(zones) == 1 else timezone.get_current_timezone()
