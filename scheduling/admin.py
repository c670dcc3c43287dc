"""Admin of the scheduling app: thin, every write goes through a service. Bookings: scheduling.admin_bookings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Unpack

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.admin import ServiceAdmin, log_inline, reset_formset_log
from scheduling import admin_bookings, admin_waitlist  # register their admins (autodiscovery imports only this one)
from scheduling.choices import MembershipRole
from scheduling.models import (
    Allocation,
    Backend,
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
    allocation_create,
    allocation_update,
    backend_create,
    backend_update,
    booking_policy_update,
    calibration_create,
    calibration_validate,
    maintenance_window_create,
    maintenance_window_preview,
    maintenance_window_update,
    membership_add,
    outage_create,
    outage_update,
    project_create,
    project_member_remove,
    project_update,
)
from scheduling.services.backends import PolicyFields
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


def _policy_update(*, policy: BookingPolicy, **fields: Unpack[PolicyFields]) -> BookingPolicy:
    return booking_policy_update(backend=policy.backend, **fields)


@admin.register(BookingPolicy)
class BookingPolicyAdmin(ServiceAdmin):
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
    update_service = staticmethod(_policy_update)
    instance_kwarg = "policy"

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
class CalibrationRecordAdmin(ServiceAdmin):
    """Calibrations are measurements: recorded through the service, never changed (a new one supersedes)."""

    form = CalibrationRecordForm
    list_display = ["backend", "measured_at", "notes"]
    list_filter = ["backend"]
    list_select_related = ["backend"]
    date_hierarchy = "measured_at"
    create_service = staticmethod(calibration_create)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # jobs name the calibration they ran with


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
    """The project's allocations and their use; granted and changed on the allocation's own page (its service)."""

    model = Allocation
    extra = 0
    fields = ["backend", "hours", "valid_from", "valid_until", "charged", "remaining"]
    readonly_fields = ["backend", "hours", "valid_from", "valid_until", "charged", "remaining"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Allocation]:
        return allocation_list_with_usage(super().get_queryset(request))

    @admin.display(description=_("charged hours"))
    def charged(self, obj: Allocation) -> object:
        return _hours(getattr(obj, "charged_hours", None))

    @admin.display(description=_("remaining hours"))
    def remaining(self, obj: Allocation) -> object:
        return _hours(getattr(obj, "remaining_hours", None))


@admin.register(Project)
class ProjectAdmin(ServiceAdmin):
    list_display = ["code", "title", "institution", "pi", "active"]
    list_filter = ["active", "institution"]
    list_select_related = ["institution", "pi"]
    search_fields = ["code", "title"]
    autocomplete_fields = ["pi"]
    inlines = [MembershipInline, AllocationUsageInline]
    # The PI becomes a member with role `pi` (project_create / project_update keep that so).
    create_service = staticmethod(project_create)
    update_service = staticmethod(project_update)
    instance_kwarg = "project"

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        # Members are added (or their role changed) through the service, which keeps one row per person.
        reset_formset_log(formset)
        for member_form in formset.forms:
            if not member_form.has_changed() or not member_form.cleaned_data:
                continue
            existed = member_form.instance.pk is not None
            if member_form.cleaned_data.get("DELETE"):
                if existed:  # the membership ends; the person's bookings and jobs stay (the PI is refused)
                    assert isinstance(request.user, User)
                    formset.deleted_objects.append(member_form.instance)
                    project_member_remove(project=form.instance, by=request.user, user_id=member_form.instance.user_id)
                continue
            project, user, role = form.instance, member_form.cleaned_data["user"], member_form.cleaned_data["role"]
            if user.pk == project.pi_id:
                role = MembershipRole.PI  # the PI's own row follows the project's PI field
            elif role == MembershipRole.PI:
                raise ValidationError(gettext("A project has one PI: hand the role over with the project's PI field."))
            member_form.instance = membership_add(project=project, user=user, role=role)
            log_inline(formset, member_form, existed)


@admin.register(Allocation)
class AllocationAdmin(ServiceAdmin):
    list_display = ["project", "backend", "hours", "charged", "remaining", "valid_from", "valid_until"]
    list_filter = ["backend", "project"]
    date_hierarchy = "valid_from"
    # Hours may not drop below what the allocation's bookings already hold (allocation_update).
    create_service = staticmethod(allocation_create)
    update_service = staticmethod(allocation_update)
    instance_kwarg = "allocation"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Allocation]:
        return allocation_list_with_usage(super().get_queryset(request))

    @admin.display(description=_("charged hours"), ordering="charged_hours")
    def charged(self, obj: Allocation) -> object:
        return _hours(getattr(obj, "charged_hours", None))

    @admin.display(description=_("remaining hours"), ordering="remaining_hours")
    def remaining(self, obj: Allocation) -> object:
        return _hours(getattr(obj, "remaining_hours", None))


__all__ = ["admin_bookings", "admin_waitlist"]
