"""`project_usage`: one project's bookings, jobs and allocation burn-down over a period (all its backends)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import Count, DecimalField, Max, Min, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from reports.kinds.base import PeriodForm, ProgressFn, ReportKindBase
from reports.labels import booking_status_label
from reports.metrics import intervals as iv
from reports.metrics.numbers import hours_str, num, ratio
from reports.renderers import charts
from reports.renderers.csv import Row, metric_rows
from scheduling.choices import BOOKED_STATUSES, BookingStatus, JobStatus
from scheduling.models import Allocation, Booking, Job, Project

ZERO_HOURS = Value(Decimal(0), output_field=DecimalField(max_digits=10, decimal_places=2))


class ProjectField(forms.ModelChoiceField[Project]):
    """A project by id or by its code."""

    def to_python(self, value: Any) -> Project | None:
        if isinstance(value, str) and value and not value.isdigit():
            try:
                return Project.objects.get(code=value)
            except Project.DoesNotExist:
                raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None
        return super().to_python(value)


class ProjectUsageForm(PeriodForm):
    project = ProjectField(queryset=Project.objects.all())


class ProjectUsageKind(ReportKindBase):
    kind = "project_usage"
    title = _("Project usage")
    template = "reports/project_usage.html"
    form_class = ProjectUsageForm
    definitions = [
        (_("Period"), _("From local midnight of the start date to local midnight of the end date (exclusive).")),
        (_("Booked"), _("Length within the period of the project's confirmed, completed and no-show bookings.")),
        (
            _("Used"),
            _(
                "Per booking, from its first job start to its last job end, clipped to the booking and the "
                "period; summed."
            ),
        ),
        (_("QPU time"), _("Sum of metered QPU seconds of the project's jobs started in the period.")),
        (_("Charged"), _("Net hours the bookings hold on the allocation, after refunds and outage credits.")),
        (
            _("Burn-down"),
            _("Hours remaining on each allocation at the end of each day, counting bookings by their start."),
        ),
    ]

    def normalize(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        return {
            "project": cleaned["project"].pk,
            "start": cleaned["start"].isoformat(),
            "end": cleaned["end"].isoformat(),
            "time_zone": cleaned.get("time_zone") or settings.DEFAULT_USER_TIME_ZONE,
        }

    def can_request(self, user: User, params: dict[str, Any]) -> bool:
        """Staff, or a member (or the PI) of the project."""
        if super().can_request(user, params):
            return True
        return (
            user.is_active
            and Project.objects.filter(Q(pk=params["project"]) & (Q(memberships__user=user) | Q(pi=user))).exists()
        )

    def filename_stem(self, params: dict[str, Any], snapshot: dict[str, Any] | None) -> str:
        name = snapshot["project"] if snapshot else f"project{params['project']}"
        return f"project-usage-{name}-{params['start']}-{params['end']}"

    def compute(self, params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
        project = Project.objects.select_related("institution").get(pk=params["project"])
        start, end = dt.date.fromisoformat(params["start"]), dt.date.fromisoformat(params["end"])
        tz = ZoneInfo(params["time_zone"])
        period = iv.period_bounds(start, end, tz)
        bounds = (iv.epoch(period[0]), iv.epoch(period[1]))

        bookings = _bookings(project, period)
        progress(30)
        by_status, by_backend, by_user = _booking_seconds(bookings, period, bounds)
        _add_job_totals(project, period, by_backend, by_user)
        progress(60)

        allocations = _allocations(project, start, end, tz)
        progress(85)

        totals = _totals(bookings, period, by_status, by_backend, allocations)
        return {
            "project": project.code,
            "title": project.title,
            "institution": str(project.institution),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "time_zone": params["time_zone"],
            "period_start": period[0].isoformat(),
            "period_end": period[1].isoformat(),
            "generated_at": timezone.now().isoformat(),
            "totals": totals,
            "bookings_by_status": {status: by_status.get(status, 0) for status in BookingStatus.values},
            "by_backend": [{"backend": k, **_shaped(v)} for k, v in sorted(by_backend.items())],
            "by_user": [{"user": k, **_shaped(v)} for k, v in sorted(by_user.items())],
            "allocations": allocations,
        }

    def tidy_rows(self, snapshot: dict[str, Any]) -> Iterator[Row]:
        ratios = ("booking_efficiency", "no_show_rate")
        yield from metric_rows("totals", "", "", snapshot["totals"], ratios=ratios)
        for status, count in snapshot["bookings_by_status"].items():
            yield Row(
                "bookings_by_status", "status", status, "bookings", str(count), "count", booking_status_label(status)
            )
        for row in snapshot["by_backend"]:
            yield from metric_rows("by_backend", "backend", row["backend"], row)
        for row in snapshot["by_user"]:
            yield from metric_rows("by_user", "user", row["user"], row)
        for allocation in snapshot["allocations"]:
            key = f"{allocation['backend']} {allocation['valid_from']}..{allocation['valid_until']}"
            yield from metric_rows("allocations", "allocation", key, allocation)
            for point in allocation["burn_down"]:
                yield Row(
                    "burn_down", "allocation", key, f"remaining_hours {point['date']}", point["remaining_hours"], "h"
                )

    def pdf_context(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        series = []
        labels: list[str] = []
        for n, allocation in enumerate(snapshot["allocations"]):
            points = allocation["burn_down"]
            labels = labels if len(labels) >= len(points) else [p["date"][5:] for p in points]
            series.append(
                (
                    f"{allocation['backend']} ({allocation['valid_from']})",
                    charts.PALETTE[n % 8],
                    [float(p["remaining_hours"]) for p in points],
                )
            )
        top = max((float(a["allocation_hours"]) for a in snapshot["allocations"]), default=1.0)
        chart = charts.lines(labels, series, y_max=top, fmt="{:.0f} h") if series else None
        return {
            "chart_burn_down": charts.data_uri(chart) if chart else None,
            "status_counts": [(booking_status_label(s), n) for s, n in snapshot["bookings_by_status"].items()],
        }


Period = tuple[dt.datetime, dt.datetime]
Seconds = dict[str, dict[str, float]]


def _bookings(project: Project, period: Period) -> list[Booking]:
    """The project's bookings overlapping the period, with the first job start and last job end of each."""
    return list(
        Booking.objects.filter(project=project, starts_at__lt=period[1], ends_at__gt=period[0])
        .select_related("backend", "user")
        .annotate(
            first_job=Min("jobs__started_at"),
            last_job=Max("jobs__finished_at"),
        )
        .order_by("starts_at")
    )


def _booking_seconds(
    bookings: list[Booking], period: Period, bounds: iv.Interval
) -> tuple[Counter[str], Seconds, Seconds]:
    """Bookings per status (those starting in the period), and booked, used, no-show and late-cancelled seconds
    per backend and per user (clipped to the period)."""
    by_status: Counter[str] = Counter()
    by_backend: Seconds = defaultdict(lambda: defaultdict(float))
    by_user: Seconds = defaultdict(lambda: defaultdict(float))
    for b in bookings:
        clipped = iv.clip((iv.epoch(b.starts_at), iv.epoch(b.ends_at)), bounds)
        assert clipped is not None
        if period[0] <= b.starts_at < period[1]:
            by_status[b.status] += 1
        length = iv.seconds(clipped)
        seconds: dict[str, float] = defaultdict(float)
        if b.status in BOOKED_STATUSES:
            seconds["booked_seconds"] = length
            if b.first_job is not None and b.last_job is not None:  # type: ignore[attr-defined]
                used = iv.clip((iv.epoch(b.first_job), iv.epoch(b.last_job)), clipped)  # type: ignore[attr-defined]
                seconds["used_seconds"] = iv.seconds(used) if used else 0.0
            if b.status == BookingStatus.NO_SHOW:
                seconds["no_show_seconds"] = length
        elif b.status == BookingStatus.CANCELLED and b.late_cancellation:
            seconds["late_cancelled_seconds"] = length
        for name, value in seconds.items():
            by_backend[b.backend.name][name] += value
            by_user[b.user.username][name] += value
    return by_status, by_backend, by_user


def _add_job_totals(project: Project, period: Period, by_backend: Seconds, by_user: Seconds) -> None:
    """Add the jobs started in the period (count, failed, shots, QPU seconds) per backend and per user."""
    job_rows = (
        Job.objects.filter(project=project, started_at__gte=period[0], started_at__lt=period[1])
        .values("backend__name", "user__username")
        .annotate(
            jobs=Count("pk"),
            jobs_failed=Count("pk", filter=Q(status=JobStatus.FAILED)),
            shots=Sum("shots"),
            exec_seconds=Sum("qpu_seconds"),
        )
        .order_by()
    )
    for row in job_rows:
        for name in ("jobs", "jobs_failed", "shots", "exec_seconds"):
            by_backend[row["backend__name"]][name] += float(row[name] or 0)
            by_user[row["user__username"]][name] += float(row[name] or 0)


def _shaped(values: dict[str, float]) -> dict[str, Any]:
    """Seconds as numbers and counts as integers, with zeros for what did not occur."""
    return {
        **{
            n: num(values.get(n, 0.0))
            for n in (
                "booked_seconds",
                "used_seconds",
                "exec_seconds",
                "no_show_seconds",
                "late_cancelled_seconds",
            )
        },
        **{n: int(values.get(n, 0)) for n in ("jobs", "jobs_failed", "shots")},
    }


def _totals(
    bookings: list[Booking],
    period: Period,
    by_status: Counter[str],
    by_backend: Seconds,
    allocations: list[dict[str, Any]],
) -> dict[str, Any]:
    """The project's totals over all its backends, its rates and its allocation hours."""
    total: dict[str, float] = defaultdict(float)
    for values in by_backend.values():
        for name, value in values.items():
            total[name] += value
    no_shows = by_status.get(BookingStatus.NO_SHOW, 0)
    late = sum(1 for b in bookings if b.late_cancellation and period[0] <= b.starts_at < period[1])
    return {
        **_shaped(total),
        "bookings": sum(by_status.values()),
        "booking_efficiency": ratio(total["used_seconds"], total["booked_seconds"]),
        "no_show_rate": ratio(no_shows, by_status.get(BookingStatus.COMPLETED, 0) + no_shows + late),
        "allocation_hours": hours_str(sum((Decimal(a["allocation_hours"]) for a in allocations), Decimal(0))),
        "charged_hours": hours_str(sum((Decimal(a["charged_hours"]) for a in allocations), Decimal(0))),
        "remaining_hours": hours_str(sum((Decimal(a["remaining_hours"]) for a in allocations), Decimal(0))),
    }


def _allocations(project: Project, start: dt.date, end: dt.date, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Each allocation valid in the period: granted, charged, remaining, and a daily burn-down."""
    allocations = list(
        Allocation.objects.filter(project=project, valid_from__lt=end, valid_until__gte=start)
        .select_related("backend")
        .annotate(charged=Coalesce(Sum("bookings__charged_hours"), ZERO_HOURS))
        .order_by("backend__name", "valid_from")
    )
    charged_by_day: dict[int, dict[dt.date, Decimal]] = defaultdict(dict)
    rows = (
        Booking.objects.filter(allocation__in=allocations)
        .annotate(day=TruncDate("starts_at", tzinfo=tz))
        .values("allocation_id", "day")
        .annotate(charged=Sum("charged_hours"))
        .order_by()
    )
    for row in rows:
        charged_by_day[row["allocation_id"]][row["day"]] = Decimal(row["charged"] or 0)
    result = []
    for allocation in allocations:
        days = charged_by_day[allocation.pk]
        remaining = allocation.hours - sum((v for d, v in days.items() if d < start), Decimal(0))
        burn_down = []
        for day in iv.days(start, end):
            remaining -= days.get(day, Decimal(0))
            burn_down.append({"date": day.isoformat(), "remaining_hours": hours_str(remaining)})
        result.append(
            {
                "backend": allocation.backend.name,
                "valid_from": allocation.valid_from.isoformat(),
                "valid_until": allocation.valid_until.isoformat(),
                "allocation_hours": hours_str(allocation.hours),
                "charged_hours": hours_str(allocation.charged),
                "remaining_hours": hours_str(allocation.hours - allocation.charged),
                "burn_down": burn_down,
            }
        )
    return result
