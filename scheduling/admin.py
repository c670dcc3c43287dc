"""Admin of the scheduling app: thin, every write goes through a service."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.admin import ServiceAdmin
from core.errors import DomainError
from scheduling.models import (
    Allocation,
    Backend,
    Booking,
    BookingPolicy,
    CalibrationRecord,
    MaintenanceWindow,
    Membership,
    Outage,
    Project,
)
from scheduling.selectors import allocation_list_with_usage
from scheduling.selectors.common import hours_str
from scheduling.services import (
    backend_create,
    backend_update,
    booking_approve,
    booking_reject,
    calibration_validate,
    maintenance_window_create,
    maintenance_window_preview,
    maintenance_window_update,
    outage_create,
    outage_update,
)
from scheduling.services.downtime import MaintenanceResult


def _hours(value: Decimal | None) -> str:
    return "-" if value is None else hours_str(value)


@admin.register(Backend)
class BackendAdmin(ServiceAdmin):
    list_display = ["name", "display_name", "site", "equipment", "status"]
    list_filter = ["status", "site"]
    list_select_related = ["site", "equipment"]
    search_fields = ["name", "display_name"]
    readonly_fields = ["created_at"]

    # A new backend gets its default policy and calibration.
    create_service = staticmethod(backend_create)
    update_service = staticmethod(backend_update)
    instance_kwarg = "backend"


@admin.register(BookingPolicy)
class BookingPolicyAdmin(admin.ModelAdmin[BookingPolicy]):
    list_display = [
        "backend",
        "slot_minutes",
        "min_minutes",
        "max_minutes",
        "horizon_days",
        "free_cancel_hours",
        "approval_over_minutes",
        "max_future_bookings",
        "max_queued_jobs",
    ]
    list_select_related = ["backend"]
    readonly_fields = ["backend"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # every backend gets its policy when it is created


class CalibrationRecordForm(forms.ModelForm[CalibrationRecord]):
    class Meta:
        model = CalibrationRecord
        fields = ["backend", "measured_at", "qubits", "couplers", "notes"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("backend") is not None and not self.errors:
            calibration_validate(backend=data["backend"], qubits=data.get("qubits"), couplers=data.get("couplers"))
        return data


@admin.register(CalibrationRecord)
class CalibrationRecordAdmin(admin.ModelAdmin[CalibrationRecord]):
    form = CalibrationRecordForm
    list_display = ["backend", "measured_at", "notes"]
    list_filter = ["backend"]
    list_select_related = ["backend"]
    date_hierarchy = "measured_at"


class MaintenanceWindowForm(forms.ModelForm[MaintenanceWindow]):
    """Asks for confirmation before saving a window that would cancel bookings."""

    confirm_cancellations = forms.BooleanField(
        label=_("Cancel the bookings listed above"),
        required=False,
        help_text=_("Needed when the window covers bookings: they are cancelled, refunded and their owners e-mailed."),
    )

    class Meta:
        model = MaintenanceWindow
        fields = ["backend", "starts_at", "ends_at", "kind", "title", "notes", "work_order"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        backend, starts_at, ends_at = data.get("backend"), data.get("starts_at"), data.get("ends_at")
        if backend is None or starts_at is None or ends_at is None or ends_at <= starts_at:
            return data
        affected = maintenance_window_preview(backend=backend, starts_at=starts_at, ends_at=ends_at)
        self.affected_bookings = affected
        if affected and not data.get("confirm_cancellations"):
            lines = "; ".join(
                f"#{b.pk} {b.project.code} {timezone.localtime(b.starts_at):%Y-%m-%d %H:%M}-"
                f"{timezone.localtime(b.ends_at):%H:%M} ({b.user})"
                for b in affected
            )
            raise ValidationError(
                gettext("Saving this window cancels %(count)d booking(s): %(list)s. Tick the box to confirm.")
                % {"count": len(affected), "list": lines}
            )
        return data


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(ServiceAdmin):
    form = MaintenanceWindowForm
    list_display = ["title", "backend", "kind", "starts_at", "ends_at", "work_order"]
    list_filter = ["backend", "kind"]
    list_select_related = ["backend", "work_order"]
    date_hierarchy = "starts_at"
    search_fields = ["title", "notes"]
    readonly_fields = ["bookings_it_covers"]
    autocomplete_fields = ["work_order"]

    @admin.display(description=_("bookings it would cancel"))
    def bookings_it_covers(self, obj: MaintenanceWindow) -> str:
        if obj.pk is None:
            return "-"
        bookings = maintenance_window_preview(backend=obj.backend, starts_at=obj.starts_at, ends_at=obj.ends_at)
        if not bookings:
            return gettext("none")
        return format_html_join(
            ", ", "#{} {} {}", ((b.pk, b.project.code, timezone.localtime(b.starts_at)) for b in bookings)
        )

    create_service = staticmethod(maintenance_window_create)
    update_service = staticmethod(maintenance_window_update)
    instance_kwarg = "window"

    def service_fields(self, request: HttpRequest, form: Any, change: bool) -> dict[str, Any]:
        assert isinstance(request.user, User)
        return {**super().service_fields(request, form, change), "by": request.user}

    def service_saved(self, request: HttpRequest, result: Any) -> MaintenanceWindow:
        """The window; the bookings it cancelled (refunded, their owners e-mailed) are listed in a message."""
        assert isinstance(result, MaintenanceResult)
        if result.cancelled_bookings:
            self.message_user(
                request,
                gettext("Cancelled and refunded bookings: %(ids)s.")
                % {"ids": ", ".join(f"#{pk}" for pk in result.cancelled_bookings)},
                messages.WARNING,
            )
        return result.window


@admin.register(Outage)
class OutageAdmin(ServiceAdmin):
    list_display = ["backend", "severity", "starts_at", "ends_at", "credited_at"]
    list_filter = ["backend", "severity"]
    list_select_related = ["backend"]
    date_hierarchy = "starts_at"
    readonly_fields = ["credited_at"]
    autocomplete_fields = ["work_order"]

    # Closing an outage (giving it an end) credits the booked time it took.
    create_service = staticmethod(outage_create)
    update_service = staticmethod(outage_update)
    instance_kwarg = "outage"


class MembershipInline(admin.TabularInline[Membership, Project]):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class AllocationUsageInline(admin.TabularInline[Allocation, Project]):
    model = Allocation
    extra = 0
    fields = ["backend", "hours", "valid_from", "valid_until", "charged", "remaining"]
    readonly_fields = ["charged", "remaining"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Allocation]:
        return allocation_list_with_usage(super().get_queryset(request))

    @admin.display(description=_("charged hours"))
    def charged(self, obj: Allocation) -> object:
        return _hours(getattr(obj, "charged_hours", None))

    @admin.display(description=_("remaining hours"))
    def remaining(self, obj: Allocation) -> object:
        return _hours(getattr(obj, "remaining_hours", None))


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin[Project]):
    list_display = ["code", "title", "institution", "pi", "active"]
    list_filter = ["active", "institution"]
    list_select_related = ["institution", "pi"]
    search_fields = ["code", "title"]
    autocomplete_fields = ["pi"]
    inlines = [MembershipInline, AllocationUsageInline]


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin[Allocation]):
    list_display = ["project", "backend", "hours", "charged", "remaining", "valid_from", "valid_until"]
    list_filter = ["backend", "project"]
    date_hierarchy = "valid_from"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Allocation]:
        return allocation_list_with_usage(super().get_queryset(request))

    @admin.display(description=_("charged hours"), ordering="charged_hours")
    def charged(self, obj: Allocation) -> object:
        return _hours(getattr(obj, "charged_hours", None))

    @admin.display(description=_("remaining hours"), ordering="remaining_hours")
    def remaining(self, obj: Allocation) -> object:
        return _hours(getattr(obj, "remaining_hours", None))


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin[Booking]):
    """A calendar-like changelist (bookings grouped by day above the list) with approval actions."""

    change_list_template = "admin/scheduling/booking/change_list.html"
    list_display = [
        "starts_at",
        "ends_at",
        "backend",
        "project",
        "user",
        "status",
        "charged_hours",
        "late_cancellation",
    ]
    list_filter = ["status", "backend", "project"]
    list_select_related = ["backend", "project", "user"]
    date_hierarchy = "starts_at"
    ordering = ["starts_at"]
    search_fields = ["project__code", "user__username", "purpose"]
    actions = ["approve_selected", "reject_selected"]
    readonly_fields = [
        "backend",
        "project",
        "user",
        "allocation",
        "starts_at",
        "ends_at",
        "status",
        "charged_hours",
        "credited_hours",
        "cancelled_at",
        "cancel_reason",
        "late_cancellation",
        "override_policy",
        "series",
        "approved_by",
        "approved_at",
        "reminder_sent_at",
        "created_by",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # bookings are made through the portal or the API, where every rule is checked

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and response.context_data and "cl" in response.context_data:
            rows = list(response.context_data["cl"].result_list)
            response.context_data["calendar_days"] = [
                (day, list(items))
                for day, items in itertools.groupby(rows, key=lambda b: timezone.localtime(b.starts_at).date())
            ]
        return response

    def _transition(self, request: HttpRequest, queryset: QuerySet[Booking], service: Any, done: str) -> None:
        assert isinstance(request.user, User)
        count = 0
        for booking in queryset:
            try:
                service(booking=booking, by=request.user)
            except (DomainError, PermissionDenied) as exc:
                self.message_user(request, f"#{booking.pk}: {exc}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Approve selected pending bookings"), permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        self._transition(request, queryset, booking_approve, gettext("Approved %(count)d booking(s)."))

    @admin.action(description=_("Reject selected pending bookings"), permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        self._transition(request, queryset, booking_reject, gettext("Rejected %(count)d booking(s)."))
