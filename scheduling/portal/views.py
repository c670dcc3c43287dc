"""Portal pages: thin views that parse input, call one scheduling service or selector, and render."""

from __future__ import annotations

import datetime
from statistics import fmean
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from accounts.models import User
from core.errors import DomainError
from scheduling.choices import ACTIVE_BOOKING_STATUSES, BookingStatus, JobStatus
from scheduling.models import Backend, Booking, CalibrationRecord
from scheduling.portal import svg
from scheduling.portal.errors import apply_error
from scheduling.portal.forms import BookingForm, JobForm
from scheduling.portal.previews import booking_preview
from scheduling.selectors.availability import availability
from scheduling.selectors.backends import backend_list
from scheduling.selectors.bookings import booking_get_for_user, booking_list_for_user
from scheduling.selectors.downtime import maintenance_window_list, outage_list
from scheduling.selectors.jobs import job_get_visible, job_list_visible
from scheduling.selectors.projects import allocation_list_for_user, project_list_for_user
from scheduling.services.bookings import booking_cancel, booking_cancel_preview, booking_create
from scheduling.services.jobs import job_cancel, job_submit

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
        recent_jobs = job_list_visible(user=self.user).select_related("project")[:DASHBOARD_ROWS]
        return self.render(
            "portal/home.html",
            {"upcoming": upcoming, "allocations": allocations, "recent_jobs": recent_jobs, "backends": backends},
        )


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
        free_time = availability(backend=backend, start=start, end=end, viewer=self.user, now=now)
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


class BookingListView(PortalView):
    """The viewer's bookings (upcoming first, then past), each upcoming one with a cancel link."""

    nav = "bookings"

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        mine = request.GET.get("scope") != "projects"
        bookings = booking_list_for_user(user=self.user, filters={"mine": mine})
        upcoming = bookings.filter(ends_at__gt=now)
        past = Paginator(bookings.filter(ends_at__lte=now).order_by("-starts_at", "-pk"), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        return self.render("portal/booking_list.html", {"upcoming": upcoming, "past": past, "mine": mine, "now": now})


class BookingCreateView(PortalView):
    """Book a slot in two steps: check and preview the cost and cancellation deadline, then confirm."""

    nav = "book"

    def _form(self, data: Any = None, initial: dict[str, Any] | None = None) -> tuple[BookingForm, Backend | None]:
        backends = backend_list()
        raw = (data or {}).get("backend") or (initial or {}).get("backend")
        backend = _pick_backend(backends, str(raw) if raw else None)
        projects = project_list_for_user(self.user).filter(active=True)
        form = BookingForm(
            data,
            initial=initial,
            backends=backends,
            projects=projects,
            policy=getattr(backend, "policy", None) if backend else None,
        )
        return form, backend

    def get(self, request: HttpRequest) -> HttpResponse:
        initial: dict[str, Any] = {"duration": 60}
        if request.GET.get("backend"):
            initial["backend"] = request.GET["backend"]
        if request.GET.get("start"):
            initial["start"] = request.GET["start"]
        form, backend = self._form(initial=initial)
        return self.render("portal/booking_form.html", {"form": form, "backend": backend})

    def post(self, request: HttpRequest) -> HttpResponse:
        form, backend = self._form(request.POST)
        step = request.POST.get("step")
        if step == "edit":  # back from the preview to the editable form, values kept
            form.is_valid()
            return self.render("portal/booking_form.html", {"form": form, "backend": backend})
        if not form.is_valid():
            return self.render("portal/booking_form.html", {"form": form, "backend": backend}, status=400)
        data = form.cleaned_data
        args = {
            "user": self.user,
            "backend": data["backend"],
            "project": data["project"],
            "starts_at": data["start"],
            "ends_at": data["start"] + datetime.timedelta(minutes=data["duration"]),
            "purpose": data["purpose"],
        }
        try:
            if step != "confirm":
                preview = booking_preview(**args)
                return self.render("portal/booking_form.html", {"form": form, "backend": backend, "preview": preview})
            booking = booking_create(**args)
        except (DomainError, ValidationError) as exc:
            apply_error(form, exc)
            return self.render("portal/booking_form.html", {"form": form, "backend": backend}, status=400)
        if booking.status == BookingStatus.PENDING:
            messages.success(request, _("Booking requested: it waits for the facility's approval."))
        else:
            messages.success(request, _("Booked. You can now submit circuits to run in this booking."))
        return HttpResponseRedirect(reverse("portal:booking-list"))


class BookingCancelView(PortalView):
    """Show what cancelling costs (refund or late charge), then cancel on POST."""

    nav = "bookings"

    def _booking(self, pk: int) -> Booking:
        booking = booking_get_for_user(user=self.user, pk=pk)
        if booking is None:
            raise Http404
        return booking

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        booking = self._booking(pk)
        preview = booking_cancel_preview(booking=booking)
        return self.render("portal/booking_cancel.html", {"booking": booking, "preview": preview})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        booking = self._booking(pk)
        try:
            booking = booking_cancel(booking=booking, by=self.user)
        except (DomainError, PermissionDenied) as exc:
            error = (
                exc.detail
                if isinstance(exc, DomainError)
                else _("Only the person who booked it or the project's principal investigator can cancel this booking.")
            )
            preview = booking_cancel_preview(booking=booking)
            context = {"booking": booking, "preview": preview, "error": error}
            return self.render("portal/booking_cancel.html", context, status=409)
        if booking.late_cancellation:
            messages.warning(
                request,
                _("Booking cancelled. It was cancelled late, so its %(hours)s h stay charged.")
                % {"hours": booking.charged_hours},
            )
        else:
            messages.success(request, _("Booking cancelled. Its hours were returned to the project's allocation."))
        return HttpResponseRedirect(reverse("portal:booking-list"))


class JobListView(PortalView):
    """Jobs of the viewer's projects, newest first."""

    nav = "jobs"

    def get(self, request: HttpRequest) -> HttpResponse:
        jobs = job_list_visible(user=self.user).select_related("project", "backend", "user")
        status = request.GET.get("status")
        if status in JobStatus.values:
            jobs = jobs.filter(status=status)
        page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
        return self.render("portal/job_list.html", {"page": page, "status": status, "statuses": JobStatus.choices})


class JobCreateView(PortalView):
    """Submit an OpenQASM circuit to run in a booking of the viewer's project."""

    nav = "submit"

    def _form(self, data: Any = None, initial: dict[str, Any] | None = None) -> JobForm:
        now = timezone.now()
        bookings = (
            booking_list_for_user(user=self.user)
            .filter(status=BookingStatus.CONFIRMED, ends_at__gt=now)
            .order_by("starts_at", "pk")
        )
        return JobForm(
            data,
            initial=initial,
            backends=backend_list(),
            projects=project_list_for_user(self.user).filter(active=True),
            bookings=bookings,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        initial: dict[str, Any] = {}
        if request.GET.get("booking", "").isdigit():
            booking = booking_get_for_user(user=self.user, pk=int(request.GET["booking"]))
            if booking is not None:
                initial = {"booking": booking.pk, "project": booking.project_id, "backend": booking.backend_id}
        form = self._form(initial=initial)
        return self.render("portal/job_form.html", {"form": form, "has_bookings": form.bookings.exists()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self._form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = job_submit(
                    user=self.user,
                    backend=data["backend"],
                    project=data["project"],
                    qasm=data["qasm"],
                    shots=data["shots"],
                    seed=data["seed"],
                    name=data["name"],
                    booking=data["booking"],
                )
            except (DomainError, ValidationError) as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _("Job submitted."))
                return HttpResponseRedirect(reverse("portal:job-detail", args=[job.pk]))
        return self.render("portal/job_form.html", {"form": form, "has_bookings": True}, status=400)


class JobDetailView(PortalView):
    """One job: status, the counts as a histogram (SVG with a table fallback) and the metered QPU time."""

    nav = "jobs"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = job_get_visible(user=self.user, job_id=pk)
        context: dict[str, Any] = {"job": job, "finished": job.status not in (JobStatus.QUEUED, JobStatus.RUNNING)}
        if job.counts:
            label = _("Histogram of the measured counts of %(shots)s shots") % {"shots": job.shots}
            context["histogram"] = svg.histogram_svg(job.counts, label=label)
            context["bars"] = svg.histogram_bars(job.counts)
        return self.render("portal/job_detail.html", context)


class JobCancelView(PortalView):
    """Cancel a queued job (POST only)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = job_get_visible(user=self.user, job_id=pk)
        try:
            job_cancel(job=job)
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("Job cancelled."))
        return HttpResponseRedirect(reverse("portal:job-detail", args=[job.pk]))


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
        return self.render("portal/usage.html", {"projects": list(projects.values())})
