"""`utilization`: the states of one backend over a period, its bookings, jobs and breakdowns (DESIGN.md 4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.kinds.base import PeriodForm, ProgressFn, ReportKindBase
from reports.metrics import utilization as engine
from reports.renderers import charts
from reports.renderers.csv import Row, metric_rows
from scheduling.models import Backend

RATIOS = ("availability", "utilization", "utilization_offered", "booking_efficiency", "no_show_rate", "share")


class BackendField(forms.ModelChoiceField[Backend]):
    """A backend by id or by its slug name."""

    def to_python(self, value: Any) -> Backend | None:
        if isinstance(value, str) and value and not value.isdigit():
            try:
                return Backend.objects.get(name=value)
            except Backend.DoesNotExist:
                raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None
        return super().to_python(value)


class UtilizationForm(PeriodForm):
    backend = BackendField(queryset=Backend.objects.select_related("site"))


class UtilizationKind(ReportKindBase):
    kind = "utilization"
    title = _("Backend utilization")
    template = "reports/utilization.html"
    form_class = UtilizationForm
    definitions = [
        (
            _("Period"),
            _(
                "From local midnight of the start date to local midnight of the end date (exclusive) in "
                "the report's time zone; a day with a daylight-saving change has 23 or 25 hours."
            ),
        ),
        (
            _("States"),
            _(
                "Every second of the period is in exactly one state, by precedence: unplanned down "
                "(outages) > planned down (maintenance windows) > booked (confirmed, completed and no-show "
                "bookings) > idle. Intervals are clipped to the period and merged before summing."
            ),
        ),
        (_("Invariant"), _("period = unplanned down + planned down + booked + idle.")),
        (_("Available"), _("Period minus planned and unplanned downtime (= booked + idle).")),
        (_("Booked time lost"), _("Booking time that falls in downtime; it is not counted as booked.")),
        (
            _("Used"),
            _(
                "Per booking, from its first job start to its last job end, clipped to the booking and the "
                "period; summed."
            ),
        ),
        (_("QPU time"), _("Sum of metered QPU seconds of jobs started in the period.")),
        (
            _("No-show and late-cancelled time"),
            _(
                "Length within the period of no-show bookings and of bookings "
                "cancelled after the free-cancellation cutoff."
            ),
        ),
        (_("Availability"), _("Available / period.")),
        (_("Utilization"), _("Booked / available (empty when nothing was available).")),
        (_("Offered utilization"), _("Booked / period.")),
        (_("Booking efficiency"), _("Used / booked (empty when nothing was booked).")),
        (
            _("No-show rate"),
            _("No-shows / (completed + no-shows + late cancellations) of bookings starting in the period."),
        ),
        (
            _("Wait"),
            _(
                "Job start - max(submission, booking start), rounded to the whole second; median (p50) and "
                "95th percentile, interpolated linearly between the two closest ranks."
            ),
        ),
        (
            _("MTBF and MTTR"),
            _(
                "Over outages starting in the period: available time / outages; mean outage "
                "length (an ongoing outage counts until the report was made)."
            ),
        ),
    ]

    def normalize(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        backend: Backend = cleaned["backend"]
        return {
            "backend": backend.pk,
            "start": cleaned["start"].isoformat(),
            "end": cleaned["end"].isoformat(),
            "time_zone": cleaned.get("time_zone") or backend.site.time_zone,
        }

    def compute(self, params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
        backend = Backend.objects.select_related("site").get(pk=params["backend"])
        return engine.compute(
            backend=backend,
            start=dt.date.fromisoformat(params["start"]),
            end=dt.date.fromisoformat(params["end"]),
            time_zone=params["time_zone"],
            progress=progress,
        )

    def filename_stem(self, params: dict[str, Any], snapshot: dict[str, Any] | None) -> str:
        name = snapshot["backend"] if snapshot else f"backend{params['backend']}"
        return f"utilization-{name}-{params['start']}-{params['end']}"

    def tidy_rows(self, snapshot: dict[str, Any]) -> Iterator[Row]:
        yield from metric_rows("totals", "", "", snapshot["totals"], ratios=RATIOS)
        sections = (("by_project", "project"), ("by_institution", "institution"), ("by_user", "user"))
        for section, dimension in sections:
            for row in snapshot[section]:
                key = row[dimension] if row[dimension] is not None else row.get("name", "")
                yield from metric_rows(section, dimension, key, row, ratios=RATIOS)
        for row in snapshot["daily"]:
            yield from metric_rows("daily", "date", row["date"], row, ratios=RATIOS)

    def pdf_context(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        daily = snapshot["daily"]
        labels = [d["date"][5:] for d in daily]

        def hours(name: str) -> list[float | None]:
            return [d[name] / 3600 for d in daily]

        states = charts.stacked_bars(
            labels,
            [
                (str(_("Unplanned down")), charts.PALETTE[0], hours("unplanned_down_seconds")),
                (str(_("Planned down")), charts.PALETTE[1], hours("planned_down_seconds")),
                (str(_("Booked")), charts.PALETTE[2], hours("booked_seconds")),
                (str(_("Idle")), charts.PALETTE[3], hours("idle_seconds")),
            ],
        )
        utilization = charts.lines(
            labels,
            [
                (str(_("Utilization")), charts.PALETTE[2], [d["utilization"] for d in daily]),
                (
                    str(_("Booking efficiency")),
                    charts.PALETTE[4],
                    [d["used_seconds"] / d["booked_seconds"] if d["booked_seconds"] else None for d in daily],
                ),
            ],
            y_max=1.0,
        )
        share = charts.share_bars(
            [
                (row["institution"], float(row["booked_seconds"]))
                for row in snapshot["by_institution"]
                if row["booked_seconds"]
            ]
        )
        calibrations = snapshot.get("calibrations") or []
        names = ("prx_fidelity", "cz_fidelity", "readout_fidelity")
        measured = [c[k] for c in calibrations for k in names if c[k] is not None]
        fidelity = None
        if measured:
            fidelity = charts.lines(
                [c["measured_at"][5:10] for c in calibrations],
                [
                    ("PRX", charts.PALETTE[2], [c["prx_fidelity"] for c in calibrations]),
                    ("CZ", charts.PALETTE[5], [c["cz_fidelity"] for c in calibrations]),
                    (str(_("Readout")), charts.PALETTE[4], [c["readout_fidelity"] for c in calibrations]),
                ],
                y_min=min(measured) * 0.99,
                y_max=1.0,
                fmt="{:.3f}",
            )
        return {
            "chart_states": charts.data_uri(states),
            "chart_utilization": charts.data_uri(utilization),
            "chart_share": charts.data_uri(share),
            "chart_fidelity": charts.data_uri(fidelity) if fidelity else None,
        }
