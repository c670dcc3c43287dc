"""Reads of calibration records."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from scheduling.models import Backend, CalibrationRecord


def calibration_latest(*, backend: Backend) -> CalibrationRecord | None:
    """The backend's most recent calibration (it drives the simulator's noise), or None."""
    return CalibrationRecord.objects.filter(backend=backend).order_by("-measured_at", "-pk").first()


def calibration_list(
    *,
    backend: Backend | None = None,
    measured_after: datetime | None = None,
    measured_before: datetime | None = None,
) -> QuerySet[CalibrationRecord]:
    """Calibration records, newest first: of one backend, measured within `[measured_after, measured_before)`."""
    records = CalibrationRecord.objects.select_related("backend")
    if backend is not None:
        records = records.filter(backend=backend)
    if measured_after is not None:
        records = records.filter(measured_at__gte=measured_after)
    if measured_before is not None:
        records = records.filter(measured_at__lt=measured_before)
    return records.order_by("-measured_at", "-pk")


def calibration_get(*, pk: int) -> CalibrationRecord | None:
    """One calibration record with its backend, or None."""
    return CalibrationRecord.objects.select_related("backend").filter(pk=pk).first()
