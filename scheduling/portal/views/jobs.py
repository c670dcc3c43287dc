"""Job pages: the viewer's jobs, submitting, a job's detail, cancelling."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from scheduling.choices import BookingStatus, JobStatus
from scheduling.portal import svg
from scheduling.portal.errors import apply_error
from scheduling.portal.forms import JobForm
from scheduling.portal.views.base import PAGE_SIZE, PortalView
from scheduling.selectors.backends import backend_list
from scheduling.selectors.bookings import booking_get_for_user, booking_list_for_user
from scheduling.selectors.jobs import job_circuit_get, job_circuit_list, job_get_visible, job_list_visible
from scheduling.selectors.projects import project_list_for_user
from scheduling.services.jobs import job_cancel, job_submit


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
    """One job: status, the counts as a histogram (SVG with a table fallback) and the metered QPU time.

    A batch lists its circuits; the histogram shows one circuit at a time (`?circuit=<index>`, the first by
    default), so that a page never draws hundreds of histograms."""

    nav = "jobs"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = job_get_visible(user=self.user, job_id=pk)
        circuits = job_circuit_list(job=job)
        chosen = request.GET.get("circuit", "0")
        index = int(chosen) if chosen.isdigit() and int(chosen) < len(circuits) else 0
        context: dict[str, Any] = {
            "job": job,
            "finished": job.status not in (JobStatus.QUEUED, JobStatus.RUNNING),
            "circuits": circuits if len(circuits) > 1 else [],
            "chosen": index,
        }
        if circuits:
            circuit = job_circuit_get(job=job, index=index)
            context["circuit"] = circuit
            if circuit.counts and job.status == JobStatus.COMPLETED:
                label = _("Histogram of the measured counts of %(shots)s shots") % {"shots": job.shots}
                if len(circuits) > 1:
                    label = _("Histogram of the measured counts of %(shots)s shots of circuit %(index)s") % {
                        "shots": job.shots,
                        "index": index,
                    }
                context["histogram"] = svg.histogram_svg(circuit.counts, label=label)
                context["bars"] = svg.histogram_bars(circuit.counts)
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
