"""The waitlist: researchers waiting for a taken slot, booked for them when it frees."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.db import in_choices
from scheduling.choices import WaitlistStatus
from scheduling.models.backends import Backend
from scheduling.models.bookings import Booking
from scheduling.models.projects import Project


class WaitlistEntry(models.Model):
    """A user waiting for `[starts_at, ends_at)` on a backend for a project; `booking` once it was booked."""

    backend = models.ForeignKey(Backend, on_delete=models.PROTECT, related_name="waitlist", verbose_name=_("backend"))
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="waitlist", verbose_name=_("project"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="waitlist", verbose_name=_("user")
    )
    starts_at = models.DateTimeField(_("start"))
    ends_at = models.DateTimeField(_("end"))
    purpose = models.CharField(_("purpose"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING)
    booking = models.OneToOneField(
        Booking,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_entry",
        verbose_name=_("booking"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # When the entry stopped waiting (booked, expired or left).
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="waitlist_end_after_start"),
            models.CheckConstraint(condition=in_choices("status", WaitlistStatus), name="waitlist_status_valid"),
            # Booked entries, and only they, point at their booking.
            models.CheckConstraint(
                condition=Q(status=WaitlistStatus.BOOKED, booking__isnull=False)
                | (~Q(status=WaitlistStatus.BOOKED) & Q(booking__isnull=True)),
                name="waitlist_booked_has_booking",
            ),
            models.CheckConstraint(
                condition=Q(status=WaitlistStatus.WAITING, closed_at__isnull=True)
                | (~Q(status=WaitlistStatus.WAITING) & Q(closed_at__isnull=False)),
                name="waitlist_closed_has_time",
            ),
            # One waiting entry per user for the same slot.
            models.UniqueConstraint(
                fields=["user", "backend", "starts_at", "ends_at"],
                condition=Q(status=WaitlistStatus.WAITING),
                name="waitlist_one_waiting_per_slot",
            ),
        ]
        indexes = [
            models.Index(fields=["backend", "status", "starts_at"]),
            models.Index(fields=["user", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} waiting for {self.backend} {self.starts_at:%Y-%m-%d %H:%M}"
