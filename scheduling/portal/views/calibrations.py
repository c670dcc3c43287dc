"""Calibration pages: a backend's calibration history (charts per qubit and coupler) and one record."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling.models import Backend, CalibrationRecord
from scheduling.portal.charts import Series, line_chart_svg
from scheduling.portal.views.base import PortalView, _pick_backend, calibration_summary
from scheduling.selectors.backends import backend_list
from scheduling.selectors.calibrations import calibration_get, calibration_list

PERIOD_DAYS = (7, 30, 90, 365)
DEFAULT_DAYS = 30
# A chart of more points than this says nothing more; the page stays fast however often staff calibrate.
MAX_RECORDS = 500


def _percent(value: Any) -> float | None:
    return None if value is None else float(value) * 100


def calibration_tables(record: CalibrationRecord | None) -> dict[str, list[dict[str, Any]]] | None:
    """The record's values per qubit (T1, T2 in µs; PRX and readout fidelity in %) and per coupler (CZ in %)."""
    if record is None:
        return None
    qubits = [
        {
            "qubit": row.get("qubit"),
            "t1_us": row.get("t1_us"),
            "t2_us": row.get("t2_us"),
            "prx": _percent(row.get("prx_fidelity")),
            "readout": _percent(row.get("readout_fidelity")),
        }
        for row in record.qubits or []
        if isinstance(row, dict)
    ]
    couplers = [
        {"coupler": "-".join(str(q) for q in row.get("qubits") or []), "cz": _percent(row.get("cz_fidelity"))}
        for row in record.couplers or []
        if isinstance(row, dict)
    ]
    return {"qubits": qubits, "couplers": couplers}


def latest_calibration_of(backend: Backend | None) -> CalibrationRecord | None:
    """The latest record of a backend read through `backend_list()` (prefetched: no query)."""
    records = getattr(backend, "latest_calibrations", None) or []
    return records[0] if records else None


def _series(records: list[CalibrationRecord], names: list[str], *, part: str, key: str, scale: float) -> list[Series]:
    lines = []
    for name in names:
        points = []
        for record in records:
            for row in getattr(record, part) or []:
                if not isinstance(row, dict) or row.get(key) is None:
                    continue
                label = row.get("qubit") if part == "qubits" else "-".join(map(str, row.get("qubits") or []))
                if label == name:
                    points.append((record.measured_at, float(row[key]) * scale))
        lines.append(Series(name=name, points=tuple(points)))
    return lines


def _charts(
    backend: Backend, records: list[CalibrationRecord], start: datetime.datetime, end: datetime.datetime
) -> list[dict[str, Any]]:
    tz = timezone.get_current_timezone()
    qubits = [str(q) for q in backend.qubits]
    couplers = ["-".join(str(q) for q in pair) for pair in backend.couplers]
    specs = [
        ("t1", _("T1 (µs)"), "qubits", "t1_us", 1.0, 1, qubits),
        ("t2", _("T2 (µs)"), "qubits", "t2_us", 1.0, 1, qubits),
        ("prx", _("PRX fidelity (%)"), "qubits", "prx_fidelity", 100.0, 2, qubits),
        ("readout", _("Readout fidelity (%)"), "qubits", "readout_fidelity", 100.0, 2, qubits),
        ("cz", _("CZ fidelity (%)"), "couplers", "cz_fidelity", 100.0, 2, couplers),
    ]
    charts = []
    for slug, title, part, key, scale, decimals, names in specs:
        series = _series(records, names, part=part, key=key, scale=scale)
        label = _("%(what)s of each of %(names)s over time") % {"what": title, "names": ", ".join(names)}
        svg = line_chart_svg(series, label=label, start=start, end=end, tz=tz, decimals=decimals)
        charts.append({"slug": slug, "title": title, "svg": svg, "names": names})
    return charts


class CalibrationHistoryView(PortalView):
    """A backend's calibrations over a period: T1, T2 and fidelities per qubit and coupler, and the records."""

    nav = "calibrations"

    def get(self, request: HttpRequest) -> HttpResponse:
        backends = backend_list()
        backend = _pick_backend(backends, request.GET.get("backend"))
        raw_days = request.GET.get("days", "")
        days = int(raw_days) if raw_days.isdigit() and int(raw_days) in PERIOD_DAYS else DEFAULT_DAYS
        end = timezone.now()
        start = end - datetime.timedelta(days=days)
        context: dict[str, Any] = {
            "backends": backends,
            "backend": backend,
            "days": days,
            "periods": PERIOD_DAYS,
            "start": start,
            "end": end,
        }
        if backend is not None:
            newest_first = list(
                calibration_list(backend=backend, measured_after=start, measured_before=end)[:MAX_RECORDS]
            )
            oldest_first = newest_first[::-1]
            latest = latest_calibration_of(backend)
            context.update(
                {
                    "latest": latest,
                    "tables": calibration_tables(latest),
                    "charts": _charts(backend, oldest_first, start, end) if newest_first else [],
                    "records": [(record, calibration_summary(record)) for record in newest_first],
                    "truncated": len(newest_first) == MAX_RECORDS,
                }
            )
        return self.render("portal/calibration_history.html", context)


class CalibrationDetailView(PortalView):
    """One calibration record: every qubit's and coupler's values (a job page links the one it ran with)."""

    nav = "calibrations"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        record = calibration_get(pk=pk)
        if record is None:
            raise Http404
        return self.render("portal/calibration_detail.html", {"record": record, "tables": calibration_tables(record)})
