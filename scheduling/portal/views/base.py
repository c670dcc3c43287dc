"""The portal's base view and the helpers its pages share."""

from __future__ import annotations

import datetime
from statistics import fmean
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from accounts.models import User
from scheduling.models import Backend, CalibrationRecord
from scheduling.portal import svg
from scheduling.selectors.projects import allocation_list_for_user

PAGE_SIZE = 25
DASHBOARD_ROWS = 5


class PortalView(LoginRequiredMixin, View):
    """A signed-in portal page; `nav` marks the current item of the main navigation."""

    nav = ""

    @property
    def user(self) -> User:
        user = self.request.user
        assert isinstance(user, User)  # LoginRequiredMixin ran first
        return user

    def render(self, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
        context.setdefault("active_nav", self.nav)
        context.setdefault("now", timezone.now())
        return render(self.request, template, context, status=status)


def _pick_backend(backends: QuerySet[Backend], raw: str | None) -> Backend | None:
    """The backend chosen by `?backend=`, else the first one; None when there are none."""
    if raw and raw.isdigit():
        for backend in backends:
            if backend.pk == int(raw):
                return backend
    return next(iter(backends), None)


def calibration_summary(record: CalibrationRecord | None) -> dict[str, Any] | None:
    """Means over the qubits and couplers of a calibration record, fidelities in percent."""
    if record is None:
        return None
    qubits = record.qubits or []
    couplers = record.couplers or []

    def mean(rows: list[dict[str, Any]], key: str) -> float | None:
        values = [float(row[key]) for row in rows if isinstance(row, dict) and row.get(key) is not None]
        return fmean(values) if values else None

    def percent(value: float | None) -> float | None:
        return None if value is None else value * 100

    return {
        "measured_at": record.measured_at,
        "t1_us": mean(qubits, "t1_us"),
        "t2_us": mean(qubits, "t2_us"),
        "prx": percent(mean(qubits, "prx_fidelity")),
        "readout": percent(mean(qubits, "readout_fidelity")),
        "cz": percent(mean(couplers, "cz_fidelity")),
    }


def _allocation_rows(user: User, *, today: datetime.date) -> list[dict[str, Any]]:
    rows = []
    for allocation in allocation_list_for_user(user):
        rows.append(
            {
                "allocation": allocation,
                "project_code": allocation.project.code,
                "backend_name": allocation.backend.display_name,
                "hours": allocation.hours,
                "charged_hours": allocation.charged_hours,  # type: ignore[attr-defined]
                "remaining_hours": allocation.remaining_hours,  # type: ignore[attr-defined]
                "valid_from": allocation.valid_from,
                "valid_until": allocation.valid_until,
                "current": allocation.valid_from <= today <= allocation.valid_until,
                "bar": svg.usage_bar_svg(granted=allocation.hours, used=allocation.charged_hours),  # type: ignore[attr-defined]
            }
        )
    return rows
