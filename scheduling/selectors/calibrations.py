"""Reads of calibration records."""

from __future__ import annotations

from django.db.models import QuerySet

from scheduling.models import Backend, CalibrationRecord


def calibration_latest(*, backend: Backend) -> CalibrationRecord | None:
    """The backend's most recent calibration (it drives the simulator's noise), or None."""
    return CalibrationRecord.objects.filter(backend=backend).order_by("-measured_at", "-pk").first()


def calibration_list() -> QuerySet[CalibrationRecord]:
    """Every calibration record, newest first."""
    return CalibrationRecord.objects.select_related("backend").order_by("-measured_at", "-pk")
