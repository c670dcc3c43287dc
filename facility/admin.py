"""Admin of the facility app: every save goes through the services, every changelist joins what it shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from core.admin import ServiceAdmin, adopt_saved, form_fields
from core.errors import DomainError
from facility import services
from facility.choices import EquipmentStatus, OfficeStatus
from facility.models import Equipment, OfficeActivity, OfficeStaff, Organization, RegionalOffice, Site, WorkOrder


def _reset_formset_log(formset: Any) -> None:
    # The admin's change message reads these lists, which formset.save() would normally fill.
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


def _log_inline(formset: Any, form: Any, existed: bool) -> None:
    if existed:
        formset.changed_objects.append((form.instance, form.changed_data))
    else:
        formset.new_objects.append(form.instance)


def _domain_error_to_form(form: forms.ModelForm[Any], call: Callable[[], object]) -> None:
    try:
        call()
    except DomainError as exc:
        form.add_error(None, exc.detail)
    except ValidationError as exc:
        form.add_error(None, exc)


# Organisations and sites


@admin.register(Organization)
class OrganizationAdmin(ServiceAdmin):
    list_display = ["name", "short_name", "kind", "country", "parent", "identifier_scheme", "identifier"]
    list_filter = ["kind", "country"]
    list_select_related = ["parent"]
    search_fields = ["name", "short_name", "identifier"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["created_at", "updated_at"]
    create_service = staticmethod(services.organization_create)
    update_service = staticmethod(services.organization_update)
    instance_kwarg = "organization"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Site)
class SiteAdmin(ServiceAdmin):
    list_display = ["name", "organization", "city", "country", "time_zone"]
    list_filter = ["country", "time_zone"]
    list_select_related = ["organization"]
    search_fields = ["name", "city", "organization__name"]
    autocomplete_fields = ["organization"]
    create_service = staticmethod(services.site_create)
    update_service = staticmethod(services.site_update)
    instance_kwarg = "site"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Offices, with their staff and activities inline


class OfficeStaffInline(admin.TabularInline[OfficeStaff, RegionalOffice]):
    model = OfficeStaff
    fields = ["user", "role", "since", "until"]
    autocomplete_fields = ["user"]
    extra = 0
    can_delete = False


class OfficeActivityInline(admin.TabularInline[OfficeActivity, RegionalOffice]):
    model = OfficeActivity
    fields = ["kind", "title", "start", "end", "organization", "participants"]
    autocomplete_fields = ["organization"]
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-start"]


class OfficeForm(forms.ModelForm[RegionalOffice]):
    class Meta:
        model = RegionalOffice
        fields = [
            "organization",
            "name",
            "city",
            "country",
            "time_zone",
            "opened_on",
            "closed_on",
            "status",
            "head",
            "notes",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        new_status = cleaned.get("status")
        # As the service does: opening or closing without a date means today (before the constraints are checked).
        if new_status == OfficeStatus.OPEN and not cleaned.get("opened_on"):
            cleaned["opened_on"] = timezone.localdate()
        if new_status == OfficeStatus.CLOSED and not cleaned.get("closed_on"):
            cleaned["closed_on"] = timezone.localdate()
        if cleaned.get("organization") is not None:
            _domain_error_to_form(self, lambda: services.office_check_organization(cleaned["organization"]))
        if new_status:
            old_status = self.instance.status if self.instance.pk else None
            if self.instance.pk:
                old_status = RegionalOffice.objects.values_list("status", flat=True).get(pk=self.instance.pk)
            _domain_error_to_form(
                self,
                lambda: services.office_check_status_change(
                    office=self.instance, old_status=old_status, new_status=new_status
                ),
            )
        return cleaned


@admin.register(RegionalOffice)
class RegionalOfficeAdmin(ServiceAdmin):
    form = OfficeForm
    list_display = ["name", "organization", "city", "country", "status", "opened_on", "closed_on", "head"]
    list_filter = ["status", "country", "organization"]
    list_select_related = ["organization", "head"]
    search_fields = ["name", "city", "organization__name"]
    date_hierarchy = "opened_on"
    autocomplete_fields = ["organization", "head"]
    inlines = [OfficeStaffInline, OfficeActivityInline]
    actions = ["close_selected"]
    create_service = staticmethod(services.office_create)
    update_service = staticmethod(services.office_update)
    instance_kwarg = "office"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        office = form.instance
        _reset_formset_log(formset)
        for inline_form in formset.forms:
            if not inline_form.has_changed() or not hasattr(inline_form, "cleaned_data"):
                continue
            instance = inline_form.instance
            fields = form_fields(inline_form, None if instance.pk else list(inline_form.cleaned_data))
            fields.pop("id", None)
            fields["office"] = office
            existed = instance.pk is not None
            if formset.model is OfficeStaff:
                if existed:
                    services.office_staff_update(member=instance, **fields)
                else:
                    adopt_saved(instance, services.office_staff_create(**fields))
            elif existed:
                services.office_activity_update(activity=instance, **fields)
            else:
                adopt_saved(instance, services.office_activity_create(**fields))
            _log_inline(formset, inline_form, existed)

    @admin.action(description=_("Close selected offices"), permissions=["change"])
    def close_selected(self, request: HttpRequest, queryset: QuerySet[RegionalOffice]) -> None:
        closed = 0
        for office in queryset:
            try:
                services.office_close(office=office)
                closed += 1
            except (DomainError, ValidationError) as exc:
                self.message_user(request, f"{office}: {getattr(exc, 'detail', exc)}", messages.ERROR)
        if closed:
            self.message_user(
                request, ngettext("Closed %d office.", "Closed %d offices.", closed) % closed, messages.SUCCESS
            )


@admin.register(OfficeStaff)
class OfficeStaffAdmin(ServiceAdmin):
    list_display = ["user", "office", "role", "since", "until"]
    list_filter = ["office", "role"]
    list_select_related = ["user", "office"]
    search_fields = ["user__username", "user__full_name", "role", "office__name"]
    autocomplete_fields = ["office", "user"]
    create_service = staticmethod(services.office_staff_create)
    update_service = staticmethod(services.office_staff_update)
    instance_kwarg = "member"


@admin.register(OfficeActivity)
class OfficeActivityAdmin(ServiceAdmin):
    list_display = ["title", "office", "kind", "start", "end", "organization", "participants"]
    list_filter = ["kind", "office"]
    list_select_related = ["office", "organization"]
    search_fields = ["title", "notes", "organization__name", "office__name"]
    date_hierarchy = "start"
    autocomplete_fields = ["office", "organization"]
    readonly_fields = ["created_at"]
    create_service = staticmethod(services.office_activity_create)
    update_service = staticmethod(services.office_activity_update)
    instance_kwarg = "activity"


# Equipment, with its work orders inline


class WorkOrderInlineFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        new_rows = [f for f in self.forms if not f.instance.pk and f.has_changed()]
        if new_rows and self.instance.pk:
            equipment = Equipment.objects.get(pk=self.instance.pk)
            try:
                services.work_order_check_equipment(equipment)
            except ValidationError as exc:  # a formset error cannot name a field
                raise ValidationError(exc.messages) from exc


class WorkOrderInline(admin.TabularInline[WorkOrder, Equipment]):
    model = WorkOrder
    formset = WorkOrderInlineFormSet
    fields = ["title", "kind", "office", "assignee", "due_date", "status", "opened_at"]
    readonly_fields = ["status", "opened_at"]
    autocomplete_fields = ["office", "assignee"]
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-opened_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WorkOrder]:
        return super().get_queryset(request).select_related("office", "assignee")


class EquipmentForm(forms.ModelForm[Equipment]):
    class Meta:
        model = Equipment
        fields = [
            "site",
            "name",
            "kind",
            "manufacturer",
            "model",
            "serial_number",
            "installed_on",
            "warranty_until",
            "status",
            "contract_id",
            "contract_number",
            "notes",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk and cleaned.get("status") not in (None, EquipmentStatus.RETIRED):
            stored = Equipment.objects.values_list("status", flat=True).get(pk=self.instance.pk)
            if stored == EquipmentStatus.RETIRED:
                self.add_error("status", _("Retired equipment cannot be put back into service; register it again."))
        return cleaned


@admin.register(Equipment)
class EquipmentAdmin(ServiceAdmin):
    form = EquipmentForm
    list_display = ["name", "site", "kind", "manufacturer", "model", "serial_number", "status", "warranty_until"]
    list_filter = ["kind", "status", "site", "manufacturer"]
    list_select_related = ["site"]
    search_fields = ["name", "manufacturer", "model", "serial_number", "contract_number"]
    date_hierarchy = "installed_on"
    autocomplete_fields = ["site"]
    inlines = [WorkOrderInline]
    create_service = staticmethod(services.equipment_create)
    update_service = staticmethod(services.equipment_update)
    instance_kwarg = "equipment"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        user = request.user if isinstance(request.user, User) else None
        _reset_formset_log(formset)
        for inline_form in formset.forms:
            if not inline_form.has_changed() or not hasattr(inline_form, "cleaned_data"):
                continue
            instance = inline_form.instance
            existed = instance.pk is not None
            if existed:
                services.work_order_update(work_order=instance, **form_fields(inline_form))
            else:
                fields = form_fields(inline_form, list(inline_form.cleaned_data))
                for name in ("id", "equipment"):
                    fields.pop(name, None)
                adopt_saved(instance, services.work_order_open(equipment=form.instance, user=user, **fields))
            _log_inline(formset, inline_form, existed)


# Work orders


class WorkOrderForm(forms.ModelForm[WorkOrder]):
    class Meta:
        model = WorkOrder
        fields = ["equipment", "kind", "title", "description", "office", "assignee", "due_date"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        equipment = cleaned.get("equipment")
        if equipment is not None and not self.instance.pk:
            _domain_error_to_form(self, lambda: services.work_order_check_equipment(equipment))
        return cleaned


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin[WorkOrder]):
    form = WorkOrderForm
    list_display = [
        "title",
        "equipment",
        "site",
        "kind",
        "status",
        "office",
        "assignee",
        "opened_at",
        "acknowledged_at",
        "resolved_at",
        "due_date",
    ]
    list_filter = ["status", "kind", "office", "equipment__site"]
    list_select_related = ["equipment", "equipment__site", "office", "assignee"]
    search_fields = ["title", "description", "resolution", "equipment__name", "equipment__serial_number"]
    date_hierarchy = "opened_at"
    autocomplete_fields = ["equipment", "office", "assignee"]
    audit_fields = [
        "status",
        "opened_at",
        "opened_by",
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
        "resolved_by",
        "cancelled_at",
        "cancelled_by",
        "resolution",
    ]
    actions = ["acknowledge_selected", "resolve_selected", "cancel_selected"]

    def get_readonly_fields(self, request: HttpRequest, obj: WorkOrder | None = None) -> list[str]:
        # The equipment is fixed once a work order exists; its history moves only through the actions.
        return [*self.audit_fields, "equipment"] if obj else self.audit_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("site"), ordering="equipment__site__name")
    def site(self, obj: WorkOrder) -> str:
        return str(obj.equipment.site)

    def save_model(self, request: HttpRequest, obj: WorkOrder, form: Any, change: bool) -> None:
        if change:
            services.work_order_update(work_order=obj, **form_fields(form))
            return
        user = request.user if isinstance(request.user, User) else None
        adopt_saved(obj, services.work_order_open(user=user, **form_fields(form, list(form.cleaned_data))))

    def _step(self, request: HttpRequest, queryset: QuerySet[WorkOrder], step: Callable[..., Any], verb: str) -> None:
        assert isinstance(request.user, User)
        done = 0
        for work_order in queryset:
            try:
                step(work_order=work_order, user=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{work_order}: {exc.detail}", messages.ERROR)
            except ValidationError as exc:
                self.message_user(request, f"{work_order}: {'; '.join(exc.messages)}", messages.ERROR)
        if done:
            self.message_user(request, f"{verb}: {done}", messages.SUCCESS)

    @admin.action(description=_("Acknowledge selected work orders"), permissions=["change"])
    def acknowledge_selected(self, request: HttpRequest, queryset: QuerySet[WorkOrder]) -> None:
        self._step(request, queryset, services.work_order_acknowledge, str(_("Acknowledged")))

    @admin.action(description=_("Resolve selected work orders"), permissions=["change"])
    def resolve_selected(self, request: HttpRequest, queryset: QuerySet[WorkOrder]) -> None:
        self._step(request, queryset, services.work_order_resolve, str(_("Resolved")))

    @admin.action(description=_("Cancel selected work orders"), permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[WorkOrder]) -> None:
        self._step(request, queryset, services.work_order_cancel, str(_("Cancelled")))
