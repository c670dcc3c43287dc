"""Waitlist pages: join the waitlist for a taken slot from the booking form, see my entries, leave one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from core.errors import DomainError
from scheduling.portal.errors import apply_error
from scheduling.portal.views.base import PortalView
from scheduling.portal.views.bookings import BookingCreateView, booking_args
from scheduling.selectors.waitlist import waitlist_list_mine
from scheduling.services.bookings import waitlist_join, waitlist_leave


class WaitlistView(PortalView):
    """My waitlist: what I wait for and what became of it (booked, expired, left), with a leave button."""

    nav = "waitlist"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render("portal/waitlist.html", {"entries": waitlist_list_mine(user=self.user)})


class WaitlistJoinView(BookingCreateView):
    """The booking form's "Join the waitlist": the same fields, checked by the waitlist service."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(reverse("portal:booking-create"))

    def post(self, request: HttpRequest) -> HttpResponse:
        form, backend = self._form(request.POST)
        if form.is_valid() and not form.is_series:
            try:
                waitlist_join(**booking_args(form, self.user))
            except (DomainError, ValidationError) as exc:
                apply_error(form, exc)
            else:
                messages.success(
                    request,
                    _("You are on the waitlist. If the slot frees, it is booked for you and you get an e-mail."),
                )
                return HttpResponseRedirect(reverse("portal:waitlist"))
        elif form.is_valid():
            form.add_error("repeat", _("A series cannot wait: join the waitlist for one slot at a time."))
        return self.render("portal/booking_form.html", {"form": form, "backend": backend}, status=400)


class WaitlistLeaveView(PortalView):
    """Leave one of my waiting entries (POST)."""

    nav = "waitlist"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        entry = waitlist_list_mine(user=self.user).filter(pk=pk).first()
        if entry is None:
            raise Http404
        try:
            waitlist_leave(entry=entry, by=self.user)
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("You left the waitlist for this slot."))
        return HttpResponseRedirect(reverse("portal:waitlist"))
