"""The dashboard, the backend calendar and the usage page."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from scheduling.choices import ACTIVE_BOOKING_STATUSES
from scheduling.models import Backend
from scheduling.portal import svg
from scheduling.portal.views.base import (
    DASHBOARD_ROWS,
    PortalView,
    _allocation_rows,
    _pick_backend,
    calibration_summary,
)
from scheduling.portal.views.jobs import jobs_live
from scheduling.selectors.availability import backend_availability_get
from scheduling.selectors.backends import backend_list
from scheduling.selectors.bookings import booking_list_for_user
from scheduling.selectors.downtime import maintenance_window_list, outage_list
from scheduling.selectors.jobs import job_list_visible
from scheduling.selectors.projects import project_list_for_user


class DashboardView(PortalView):
    """Upcoming bookings, remaining allocation, recent jobs, and each backend's status and calibration."""

    nav = "home"

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        today = timezone.localdate(now)
        upcoming = booking_list_for_user(user=self.user, filters={"mine": True}).filter(
            ends_at__gt=now, status__in=ACTIVE_BOOKING_STATUSES
        )[:DASHBOARD_ROWS]
        ongoing = {o.backend_id: o for o in outage_list(ongoing=True)}
        maintenance: dict[int, Any] = {}
        for window in maintenance_window_list().filter(ends_at__gt=now).order_by("starts_at"):
            maintenance.setdefault(window.backend_id, window)
        backends = [
            {
                "backend": backend,
                "calibration": calibration_summary(next(iter(backend.latest_calibrations), None)),  # type: ignore[attr-defined]
                "outage": ongoing.get(backend.pk),
                "next_maintenance": maintenance.get(backend.pk),
            }
            for backend in backend_list()
        ]
        allocations = [row for row in _allocation_rows(self.user, today=today) if row["current"]]
        recent_jobs = list(job_list_visible(user=self.user).select_related("project")[:DASHBOARD_ROWS])
        context = {
            "upcoming": upcoming,
            "allocations": allocations,
            "recent_jobs": recent_jobs,
            "backends": backends,
            "live": jobs_live(recent_jobs),
        }
        return self.render("portal/home.html", context)


class CalendarView(PortalView):
    """A week of one backend in the viewer's time zone: free time to book, bookings, downtime."""

    nav = "calendar"
    days = 7

    def get(self, request: HttpRequest) -> HttpResponse:
        backends = backend_list()
        backend = _pick_backend(backends, request.GET.get("backend"))
        tz = timezone.get_current_timezone()
        now = timezone.now()
        today = timezone.localdate(now)
        try:
            first_day = datetime.date.fromisoformat(request.GET.get("start", ""))
        except ValueError:
            first_day = today
        context: dict[str, Any] = {"backends": backends, "backend": backend, "first_day": first_day, "tz": tz}
        if backend is None:
            return self.render("portal/calendar.html", context)
        start = svg.local_midnight(first_day, tz)
        end = svg.local_midnight(first_day + datetime.timedelta(days=self.days), tz)
        free_time = backend_availability_get(backend=backend, start=start, end=end, viewer=self.user, now=now)
        intervals, agenda = self._intervals(free_time.busy, free_time.free, backend=backend, tz=tz)
        context.update(
            {
                "days": svg.week_days(first_day=first_day, tz=tz, intervals=intervals, today=today, days=self.days),
                "agenda": svg.week_days(first_day=first_day, tz=tz, intervals=agenda, today=today, days=self.days),
                "hours": range(24),
                "last_day": first_day + datetime.timedelta(days=self.days - 1),
                "previous": self._week_url(backend, first_day - datetime.timedelta(days=self.days)),
                "next": self._week_url(backend, first_day + datetime.timedelta(days=self.days)),
                "this_week": self._week_url(backend, today),
                "policy": getattr(backend, "policy", None),
            }
        )
        return self.render("portal/calendar.html", context)

    @staticmethod
    def _week_url(backend: Backend, day: datetime.date) -> str:
        query = urlencode({"backend": str(backend.pk), "start": day.isoformat()})
        return f"{reverse('portal:calendar')}?{query}"

    @staticmethod
    def _intervals(
        busy: list[dict[str, Any]],
        free: list[tuple[datetime.datetime, datetime.datetime]],
        *,
        backend: Backend,
        tz: Any,
    ) -> tuple[list[svg.Interval], list[svg.Interval]]:
        """Busy time labelled for the viewer (others' bookings only as "Booked"); free time linking to the form."""
        busy_items = []
        far_future = timezone.now() + datetime.timedelta(days=3650)
        for item in busy:
            end = item["end"] or far_future
            if item["kind"] == "booking":
                if item.get("project"):
                    busy_items.append(svg.Interval(item["start"], end, "mine", item["project"]))
                else:
                    busy_items.append(svg.Interval(item["start"], end, "booked", _("Booked")))
            elif item["kind"] == "maintenance":
                busy_items.append(
                    svg.Interval(item["start"], end, "maintenance", item.get("title") or _("Maintenance"))
                )
            else:
                busy_items.append(svg.Interval(item["start"], end, "outage", _("Outage")))
        free_items = [svg.Interval(s, e, "free", _("Free"), _book_url(backend, s)) for s, e in free]
        hourly = [
            svg.Interval(p.starts_at, p.ends_at, p.kind, p.label, _book_url(backend, p.starts_at))
            for item in free_items
            for p in svg.split_free(item, tz=tz)
        ]
        return busy_items + hourly, busy_items + free_items


def _book_url(backend: Backend, start: datetime.datetime) -> str:
    """The booking form for a free stretch, its start filled in."""
    query = urlencode({"backend": str(backend.pk), "start": _local_input(start)})
    return f"{reverse('portal:booking-create')}?{query}"


def _local_input(value: datetime.datetime) -> str:
    """A datetime in the current time zone as an `<input type="datetime-local">` value."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


class UsageView(PortalView):
    """Each of the viewer's projects: allocations granted, charged and remaining, and QPU time used."""

    nav = "usage"

    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        rows = _allocation_rows(self.user, today=today)
        projects: dict[int, dict[str, Any]] = {}
        for project in project_list_for_user(self.user):
            projects[project.pk] = {"project": project, "allocations": []}
        for row in rows:
            entry = projects.get(row["allocation"].project_id)
            if entry is not None:
                entry["allocations"].append(row)
        # The report form's default period: last month, both ends included.
        until = today.replace(day=1) - datetime.timedelta(days=1)
        context = {"projects": list(projects.values()), "period_start": until.replace(day=1), "period_until": until}
        return self.render("portal/usage.html", context)
