"""Admin of regional offices, with their staff and activities inline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ServiceAdmin, adopt_saved, domain_error_to_form, form_fields, log_inline, reset_formset_log
from core.errors import DomainError
from facility import services
from facility.choices import OfficeStatus
from facility.models import OfficeActivity, OfficeStaff, RegionalOffice
from facility.services.offices import OfficeFields

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
        fields = list(OfficeFields.__annotations__)  # what the service takes

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        new_status = cleaned.get("status")
        # As the service does: opening or closing without a date means today (before the constraints are checked).
        if new_status == OfficeStatus.OPEN and not cleaned.get("opened_on"):
            cleaned["opened_on"] = timezone.localdate()
        if new_status == OfficeStatus.CLOSED and not cleaned.get("closed_on"):
            cleaned["closed_on"] = timezone.localdate()
        if cleaned.get("organization") is not None:
            domain_error_to_form(self, lambda: services.office_check_organization(cleaned["organization"]))
        if new_status:
            old_status = self.instance.status if self.instance.pk else None
            if self.instance.pk:
                old_status = RegionalOffice.objects.values_list("status", flat=True).get(pk=self.instance.pk)
            domain_error_to_form(
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
        reset_formset_log(formset)
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
            log_inline(formset, inline_form, existed)

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
