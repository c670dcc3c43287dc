"""Reads of backends: policy joined and the latest calibration prefetched (constant queries)."""

from __future__ import annotations

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

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
