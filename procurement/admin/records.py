"""Payments with their exchange rate, amendments, documents, exchange rates; releases and history (read only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procurement import services
from procurement.admin.common import MoneyFormField, ProcurementForm
from procurement.admin.contracts import RecordedOnce
from procurement.choices import ContractStatus
from procurement.models import (
    Amendment,
    ChangeRecord,
    Contract,
    Document,
    ExchangeRate,
    OcdsRelease,
    Payment,
    Tender,
)


class PaymentForm(ProcurementForm):
    money_fields = {"value": "value"}
    value = MoneyFormField(label=_("value"))
    rate_to_krw = forms.DecimalField(
        label=_("KRW per unit"),
        max_digits=18,
        decimal_places=6,
        min_value=0.000001,
        required=False,
        help_text=_("Leave empty to use the latest exchange rate published on or before the payment date."),
    )

    class Meta:
        model = Payment
        fields = ["contract", "date", "payer", "payee", "method", "milestone", "notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "contract" in self.fields:  # payments are made under a signed, active contract
            queryset: QuerySet[Contract] = Contract.objects.filter(status=ContractStatus.ACTIVE)
            self.fields["contract"].queryset = queryset  # type: ignore[attr-defined]


@admin.register(Payment)
class PaymentAdmin(RecordedOnce):
    form = PaymentForm
    list_display = ["date", "contract", "value", "rate_to_krw", "krw_amount", "exchange_rate"]
    list_select_related = ["contract", "exchange_rate"]
    autocomplete_fields = ["payer", "payee"]
    fields = ["contract", "date", "value", "rate_to_krw", "payer", "payee", "method", "milestone", "notes"]
    fields += ["first_published_at"]
    create_service = staticmethod(services.payment_create)
    instance_kwarg = "payment"
    service_keys = ("contract", "date", "value", "rate_to_krw", "payer", "payee", "method", "milestone", "notes")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        return fields if obj is None else [*fields[:4], "krw_amount", "exchange_rate", *fields[4:]]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["krw_amount", "exchange_rate"] if obj is not None else []


class AmendmentForm(ProcurementForm):
    value_change = MoneyFormField(
        label=_("value change"), required=False, help_text=_("Positive to increase the value, negative to reduce it.")
    )

    class Meta:
        model = Amendment
        fields = ["tender", "contract", "date", "rationale", "description", "new_period_end"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "tender" in self.fields:  # only a published tender or a signed contract is amended
            tenders: QuerySet[Tender] = Tender.objects.filter(published_at__isnull=False)
            self.fields["tender"].queryset = tenders  # type: ignore[attr-defined]
            contracts: QuerySet[Contract] = Contract.objects.filter(signed_on__isnull=False)
            self.fields["contract"].queryset = contracts  # type: ignore[attr-defined]
            self.fields["date"].initial = timezone.now


@admin.register(Amendment)
class AmendmentAdmin(RecordedOnce):
    form = AmendmentForm
    list_display = ["date", "process", "tender", "contract", "rationale", "release_id"]
    list_select_related = ["process", "tender", "contract"]
    fields = ["tender", "contract", "date", "rationale", "description", "value_change", "new_period_end"]
    fields += ["first_published_at"]
    create_service = staticmethod(services.amendment_create)
    instance_kwarg = "amendment"
    service_keys = ("tender", "contract", "date", "rationale", "description", "value_change", "new_period_end")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        return fields if obj is None else ["process", *fields[:-1], "changes", "release_id", "amends_release_id"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["process", "value_change", "changes", "release_id", "amends_release_id"] if obj is not None else []


class DocumentForm(ProcurementForm):
    class Meta:
        model = Document
        fields = ["process", "stage", "document_type", "title", "description", "file", "language", "supersedes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "supersedes" in self.fields:  # only the latest version of a document can be superseded
            latest: QuerySet[Document] = Document.objects.filter(superseded_by__isnull=True).select_related("process")
            self.fields["supersedes"].queryset = latest  # type: ignore[attr-defined]


@admin.register(Document)
class DocumentAdmin(RecordedOnce):
    """An upload is checked (type by extension and content, size), hashed (SHA-256) and stored under a generated
    name; a new version supersedes an earlier document, never overwrites it."""

    form = DocumentForm
    list_display = ["title", "process", "stage", "document_type", "media_type", "size", "supersedes"]
    list_filter = ["stage", "document_type"]
    list_select_related = ["process", "supersedes"]
    search_fields = ["title", "original_name", "sha256"]
    fields = [*DocumentForm.Meta.fields, "first_published_at"]
    create_service = staticmethod(services.document_create)
    instance_kwarg = "document"
    service_keys = tuple(DocumentForm.Meta.fields)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return super().get_fields(request, obj)
        shown = [*DocumentForm.Meta.fields[:5], "original_name", "media_type", "size", "sha256", "supersedes"]
        return [*shown, "uploaded_by", "uploaded_at", "published_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_fields(request, obj) if obj is not None else []


@admin.register(ExchangeRate)
class ExchangeRateAdmin(RecordedOnce):
    list_display = ["date", "currency", "rate_to_krw", "source"]
    list_filter = ["currency"]
    fields = ["date", "currency", "rate_to_krw", "source"]
    create_service = staticmethod(services.exchange_rate_create)
    instance_kwarg = "rate"
    service_keys = ("date", "currency", "rate_to_krw", "source")

    def service_fields(self, request: HttpRequest, form: Any, change: bool) -> dict[str, Any]:
        fields = super().service_fields(request, form, change)
        fields.pop("user")  # a published rate is not a step of a process
        return fields


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Written only by the services, as a consequence of a step: the releases and the history."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OcdsRelease)
class OcdsReleaseAdmin(ReadOnlyAdmin):
    list_display = ["release_id", "date", "tags", "sha256"]


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "object_repr", "field", "old", "new"]
    list_select_related = ["user"]
