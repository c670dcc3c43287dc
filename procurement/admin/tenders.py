"""The tender with its items inline, and the bids."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import adopt_saved, form_fields
from procurement import services
from procurement.admin.common import MoneyFormField, ProcurementAdmin, ProcurementForm, add_url, request_user
from procurement.choices import ProcessStatus, TenderStatus
from procurement.models import Bid, ContractingProcess, Tender, TenderItem
from procurement.services.tenders import TenderItemFields

ITEM_FIELDS: list[str] = ["description", "classification_scheme", "classification_id", "classification_description"]
ITEM_FIELDS += ["quantity", "unit"]


class TenderItemInline(admin.TabularInline[TenderItem, Tender]):
    """Items are added while the tender is unpublished; afterwards the list changes only through an amendment."""

    model = TenderItem
    fields = tuple(ITEM_FIELDS)
    extra = 1
    can_delete = False

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        return 1 if obj is None else 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (obj is None or not obj.is_published) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an item, once recorded, is part of a release

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TenderForm(ProcurementForm):
    money_fields = {"estimated_value": "estimated_value"}
    estimated_value = MoneyFormField(label=_("estimated value"), required=False)

    class Meta:
        model = Tender
        fields = ["process", "title", "description", "tender_start", "tender_end", "enquiry_start", "enquiry_end"]
        fields += ["award_start", "award_end", "award_criteria"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "process" in self.fields:  # a tender is recorded for a process in planning that has none
            queryset: QuerySet[ContractingProcess] = ContractingProcess.objects.filter(
                status=ProcessStatus.PLANNING, tender__isnull=True
            )
            self.fields["process"].queryset = queryset  # type: ignore[attr-defined]


@admin.register(Tender)
class TenderAdmin(ProcurementAdmin):
    form = TenderForm
    list_display = ["title", "process", "status", "tender_start", "tender_end", "published_at"]
    list_filter = ["status"]
    list_select_related = ["process"]
    search_fields = ["title", "process__ocid", "process__title"]
    inlines = [TenderItemInline]
    fieldsets = [
        (None, {"fields": ["process", "status", "title", "description", "estimated_value", "award_criteria"]}),
        (_("Periods"), {"fields": [("tender_start", "tender_end"), ("enquiry_start", "enquiry_end")]}),
        (None, {"fields": [("award_start", "award_end")]}),
        (_("Publication"), {"fields": ["first_published_at"]}),
    ]
    readonly_fields = ["status"]
    create_service = staticmethod(services.tender_create)
    update_service = staticmethod(services.tender_update)
    instance_kwarg = "tender"
    service_keys = (*TenderForm.Meta.fields, "estimated_value")
    locked_note = _(
        "The tender is published: what bidders relied on (title, description, periods, value, criteria, items) "
        "changes only through an amendment."
    )

    def locked_fields(self, obj: Tender) -> frozenset[str]:
        locked = services.tender_locked_fields(obj)
        names = {"estimated_value" if name.startswith("estimated_value") else name for name in locked}
        return frozenset(names)

    def amendment_link(self, obj: Tender) -> str:
        return add_url("amendment", tender=obj.pk)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "process", "published_at"] if obj is not None else readonly

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.fieldsets
        first = ["locked"] if self.locked_fields(obj) else []
        first += ["published_at", "process", "status", "title", "description", "estimated_value"]
        return [(None, {"fields": [*first, "award_criteria"]}), *self.fieldsets[1:]]

    def service_fields(self, request: HttpRequest, form: Any, change: bool) -> dict[str, Any]:
        fields = super().service_fields(request, form, change)
        if change:
            fields.pop("process", None)
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:  # a new tender is created with its items, in save_related
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """A new tender is created with its items in one step (one release); items added later one by one."""
        fields = self.service_fields(request, form, change)
        published_at = fields.get("published_at")
        items = []
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            for item_form in formset.forms:
                if item_form.has_changed() and hasattr(item_form, "cleaned_data") and item_form.cleaned_data:
                    items.append(item_form)
        values = [cast(TenderItemFields, form_fields(item_form, ITEM_FIELDS)) for item_form in items]
        if not change:
            tender = services.tender_create(items=values, **fields)
            adopt_saved(form.instance, tender)
            for item_form, saved in zip(items, tender.items.order_by("id"), strict=True):
                adopt_saved(item_form.instance, saved)
        else:
            for item_form, value in zip(items, values, strict=True):
                saved_item = services.tender_item_create(
                    tender=form.instance, user=request_user(request), published_at=published_at, **value
                )
                adopt_saved(item_form.instance, saved_item)
        for formset in formsets:
            formset.new_objects = [f.instance for f in items]


class BidForm(ProcurementForm):
    money_fields = {"value": "value"}
    value = MoneyFormField(label=_("value"))

    class Meta:
        model = Bid
        fields = ["tender", "tenderer", "submitted_at", "status", "rank"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "tender" in self.fields:  # bids are recorded on a published tender
            queryset: QuerySet[Tender] = Tender.objects.filter(status=TenderStatus.ACTIVE).select_related("process")
            self.fields["tender"].queryset = queryset  # type: ignore[attr-defined]


@admin.register(Bid)
class BidAdmin(ProcurementAdmin):
    form = BidForm
    list_display = ["tender", "tenderer", "value", "status", "rank", "submitted_at"]
    list_filter = ["status"]
    list_select_related = ["tender", "tenderer"]
    autocomplete_fields = ["tenderer"]
    fields = ["tender", "tenderer", "value", "submitted_at", "status", "rank", "first_published_at"]
    create_service = staticmethod(services.bid_create)
    update_service = staticmethod(services.bid_update)
    instance_kwarg = "bid"
    service_keys = ("tender", "tenderer", "value", "submitted_at", "status", "rank")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A recorded bid is evaluated (status, rank); what was submitted stays as submitted.
        return ["tender", "tenderer", "value", "submitted_at"] if obj is not None else []
