"""Awards, contracts (with their signature) and milestones."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import refusal_text
from core.errors import DomainError
from procurement import services
from procurement.admin.common import (
    MoneyFormField,
    ProcurementAdmin,
    ProcurementForm,
    add_url,
    form_errors_text,
    published_at_field,
    request_user,
)
from procurement.choices import AwardStatus, ContractStatus, ProcessStatus
from procurement.models import Award, Contract, ContractingProcess, Milestone

S = ProcessStatus


class AwardForm(ProcurementForm):
    money_fields = {"value": "value"}
    value = MoneyFormField(label=_("value"))

    class Meta:
        model = Award
        fields = ["process", "title", "suppliers", "date"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "process" in self.fields:  # awards are recorded during evaluation
            queryset: QuerySet[ContractingProcess] = ContractingProcess.objects.filter(status=S.EVALUATION)
            self.fields["process"].queryset = queryset  # type: ignore[attr-defined]
        if "date" in self.fields:
            self.fields["date"].initial = timezone.now


class RecordedOnce(ProcurementAdmin):
    """A record that, once recorded, is only read (no service changes it; a correction is a new record)."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)


@admin.register(Award)
class AwardAdmin(RecordedOnce):
    form = AwardForm
    list_display = ["__str__", "process", "status", "date", "value"]
    list_filter = ["status"]
    list_select_related = ["process"]
    autocomplete_fields = ["suppliers"]
    fields = ["process", "title", "suppliers", "value", "date", "first_published_at"]
    create_service = staticmethod(services.award_create)
    instance_kwarg = "award"
    service_keys = ("process", "title", "suppliers", "value", "date")


class ContractForm(ProcurementForm):
    money_fields = {"value": "value"}
    value = MoneyFormField(label=_("value"))

    class Meta:
        model = Contract
        fields = ["award", "number", "title", "period_start", "period_end"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "award" in self.fields:  # a contract is drafted for an active award
            queryset: QuerySet[Award] = Award.objects.filter(status=AwardStatus.ACTIVE).select_related("process")
            self.fields["award"].queryset = queryset  # type: ignore[attr-defined]


class SignForm(forms.Form):
    signed_on = forms.DateField(label=_("signed on"), widget=widgets.AdminDateWidget)
    first_published_at = published_at_field()


@admin.register(Contract)
class ContractAdmin(ProcurementAdmin):
    form = ContractForm
    change_form_template = "admin/procurement/contract/change_form.html"
    list_display = ["__str__", "process", "status", "signed_on", "value", "paid_krw"]
    list_filter = ["status"]
    list_select_related = ["process"]
    search_fields = ["number", "title", "process__ocid"]
    fields = ["award", "status", "signed_on", "number", "title", "value", "period_start", "period_end"]
    fields += ["first_published_at"]
    readonly_fields = ["status", "signed_on"]
    create_service = staticmethod(services.contract_create)
    update_service = staticmethod(services.contract_update)
    instance_kwarg = "contract"
    service_keys = ("award", "number", "title", "value", "period_start", "period_end")
    locked_note = _("The contract is signed: its value and period change only through an amendment.")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contract]:
        return super().get_queryset(request).prefetch_related("payments")

    @admin.display(description=_("paid (KRW)"))
    def paid_krw(self, obj: Contract) -> str:
        return f"{sum(p.krw_amount_minor for p in obj.payments.all()):,} KRW"

    def locked_fields(self, obj: Contract) -> frozenset[str]:
        locked = services.contract_locked_fields(obj)
        return frozenset("value" if name.startswith("value") else name for name in locked)

    def amendment_link(self, obj: Contract) -> str:
        return add_url("amendment", contract=obj.pk)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        if obj is None:
            return [f for f in fields if f not in ("status", "signed_on", "locked")]
        return ["locked", *fields] if self.locked_fields(obj) and "locked" not in fields else fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "award"] if obj is not None else readonly

    def service_fields(self, request: HttpRequest, form: Any, change: bool) -> dict[str, Any]:
        fields = super().service_fields(request, form, change)
        if change:
            fields.pop("award", None)
        return fields

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.sign_view)
        return [path("<int:object_id>/sign/", view, name="procurement_contract_sign"), *super().get_urls()]

    def sign_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """POST the signature date: the contract becomes active, its value and period lock."""
        contract = get_object_or_404(Contract, pk=object_id)
        if request.method != "POST" or not self.has_change_permission(request, contract):
            raise PermissionDenied
        form = SignForm(request.POST)
        if not form.is_valid():
            self.message_user(request, form_errors_text(form), messages.ERROR)
        else:
            try:
                services.contract_sign(
                    contract=contract,
                    user=request_user(request),
                    signed_on=form.cleaned_data["signed_on"],
                    published_at=form.cleaned_data["first_published_at"],
                )
            except (DomainError, ValidationError) as exc:
                self.message_user(request, refusal_text(exc), messages.ERROR)
            else:
                self.message_user(request, gettext("The contract is signed."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:procurement_contract_change", args=[object_id]))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        contract = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if contract is not None:
            pending = contract.status == ContractStatus.PENDING
            extra.update(
                {
                    "sign_form": SignForm() if pending else None,
                    "sign_url": reverse("admin:procurement_contract_sign", args=[contract.pk]),
                    "record_links": [
                        (gettext("Add a milestone"), add_url("milestone", contract=contract.pk)),
                        (gettext("Record a payment"), add_url("payment", contract=contract.pk)),
                        (gettext("Add an amendment"), add_url("amendment", contract=contract.pk)),
                    ],
                }
            )
        return super().change_view(request, object_id, form_url, extra)


class MilestoneForm(ProcurementForm):
    class Meta:
        model = Milestone
        fields = ["contract", "code", "title", "type", "due_date", "date_met", "status"]


@admin.register(Milestone)
class MilestoneAdmin(ProcurementAdmin):
    form = MilestoneForm
    list_display = ["title", "contract", "code", "due_date", "date_met", "status"]
    list_filter = ["status", "type"]
    list_select_related = ["contract"]
    fields = [*MilestoneForm.Meta.fields, "first_published_at"]
    create_service = staticmethod(services.milestone_create)
    update_service = staticmethod(services.milestone_update)
    instance_kwarg = "milestone"
    service_keys = tuple(MilestoneForm.Meta.fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["contract"] if obj is not None else []
