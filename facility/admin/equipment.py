"""Admin of equipment, with its work orders inline, and of work orders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.admin import ServiceAdmin, adopt_saved, domain_error_to_form, form_fields, log_inline, reset_formset_log
from core.errors import DomainError
from facility import services
from facility.choices import EquipmentStatus
from facility.models import Equipment, WorkOrder
from facility.services.equipment import EquipmentFields

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
        fields = list(EquipmentFields.__annotations__)  # what the service takes

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
        reset_formset_log(formset)
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
            log_inline(formset, inline_form, existed)


# Work orders


class WorkOrderForm(forms.ModelForm[WorkOrder]):
    class Meta:
        model = WorkOrder
        fields = ["equipment", "kind", "title", "description", "office", "assignee", "due_date"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        equipment = cleaned.get("equipment")
        if equipment is not None and not self.instance.pk:
            domain_error_to_form(self, lambda: services.work_order_check_equipment(equipment))
        return cleaned


@admin.register(WorkOrder)
class WorkOrderAdmin(ServiceAdmin):
    form = WorkOrderForm
    create_service = staticmethod(services.work_order_open)
    update_service = staticmethod(services.work_order_update)
    instance_kwarg = "work_order"
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

    def service_fields(self, request: HttpRequest, form: Any, change: bool) -> dict[str, Any]:
        fields = super().service_fields(request, form, change)
        if not change:  # who opened it
            fields["user"] = request.user if isinstance(request.user, User) else None
        return fields

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
