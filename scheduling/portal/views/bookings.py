"""Booking pages: the viewer's bookings, booking a slot, cancelling."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import DomainError
from scheduling.choices import ACTIVE_BOOKING_STATUSES, BookingStatus
from scheduling.models import Backend, Booking
from scheduling.portal.errors import apply_error
from scheduling.portal.forms import BookingForm
from scheduling.portal.previews import booking_preview, booking_series_preview
from scheduling.portal.views.base import PAGE_SIZE, PortalView, _pick_backend
from scheduling.portal.views.calibrations import calibration_tables, latest_calibration_of
from scheduling.selectors.backends import backend_list
from scheduling.selectors.bookings import booking_get_for_user, booking_list_for_user
from scheduling.selectors.common import hours_str
from scheduling.selectors.projects import project_list_for_user
from scheduling.services.bookings import (
    booking_cancel,
    booking_cancel_preview,
    booking_create,
    booking_series_create,
)


class BookingListView(PortalView):
    """The viewer's bookings (upcoming first, then past and cancelled), each upcoming one with a cancel link."""

    nav = "bookings"

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        mine = request.GET.get("scope") != "projects"
        bookings = booking_list_for_user(user=self.user, filters={"mine": mine})
        # Upcoming: not ended and still held (a cancelled or rejected booking is listed with the past ones).
        current = Q(ends_at__gt=now, status__in=ACTIVE_BOOKING_STATUSES)
        upcoming = bookings.filter(current)
        past = Paginator(bookings.exclude(current).order_by("-starts_at", "-pk"), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        return self.render("portal/booking_list.html", {"upcoming": upcoming, "past": past, "mine": mine, "now": now})


class BookingCreateView(PortalView):
    """Book a slot in two steps: check and preview the cost and cancellation deadline, then confirm."""

    nav = "book"

    def render(self, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
        # The chosen backend's latest calibration per qubit and coupler (prefetched with the backends).
        calibration = latest_calibration_of(context.get("backend"))
        context.setdefault("calibration", calibration)
        context.setdefault("calibration_tables", calibration_tables(calibration))
        return super().render(template, context, status)

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
        args = booking_args(form, self.user)
        if form.is_series:
            return self._series(form, backend, args, confirm=step == "confirm")
        try:
            if step != "confirm":
                preview = booking_preview(**args)
                return self.render("portal/booking_form.html", {"form": form, "backend": backend, "preview": preview})
            booking = booking_create(**args)
        except (DomainError, ValidationError) as exc:
            apply_error(form, exc)
            # A slot another booking holds can be waited for: the page offers the waitlist.
            can_wait = isinstance(exc, DomainError) and exc.code == "booking_conflict"
            context = {"form": form, "backend": backend, "can_wait": can_wait}
            return self.render("portal/booking_form.html", context, status=400)
        if booking.status == BookingStatus.PENDING:
            messages.success(request, _("Booking requested: it waits for the facility's approval."))
        else:
            messages.success(request, _("Booked. You can now submit circuits to run in this booking."))
        return HttpResponseRedirect(reverse("portal:booking-list"))

    def _series(
        self, form: BookingForm, backend: Backend | None, args: dict[str, Any], *, confirm: bool
    ) -> HttpResponse:
        """A recurring series: the check step lists each occurrence (booked or skipped, and why); confirming
        books what fits through the series service."""
        data = form.cleaned_data
        repeat = {"freq": data["repeat"], "count": data["count"], "until": data["until"]}
        try:
            if not confirm:
                series = booking_series_preview(**args, **repeat)
                return self.render("portal/booking_form.html", {"form": form, "backend": backend, "series": series})
            result = booking_series_create(**args, **repeat)
        except (DomainError, ValidationError) as exc:
            apply_error(form, exc)
            return self.render("portal/booking_form.html", {"form": form, "backend": backend}, status=400)
        text = ngettext(
            "%(n)d booking of the series made.", "%(n)d bookings of the series made.", len(result.created)
        ) % {"n": len(result.created)}
        if result.skipped:
            text += " " + ngettext("%(n)d occurrence skipped.", "%(n)d occurrences skipped.", len(result.skipped)) % {
                "n": len(result.skipped)
            }
        (messages.warning if result.skipped else messages.success)(self.request, text)
        return HttpResponseRedirect(reverse("portal:booking-list"))


def booking_args(form: BookingForm, user: Any) -> dict[str, Any]:
    """The booking service's arguments from a valid booking form: the user books for themselves."""
    data = form.cleaned_data
    return {
        "user": user,
        "backend": data["backend"],
        "project": data["project"],
        "starts_at": data["start"],
        "ends_at": data["start"] + datetime.timedelta(minutes=data["duration"]),
        "purpose": data["purpose"],
    }


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
                % {"hours": hours_str(booking.charged_hours)},
            )
        else:
            messages.success(request, _("Booking cancelled. Its hours were returned to the project's allocation."))
        return HttpResponseRedirect(reverse("portal:booking-list"))
