"""Serializers of the procurement API: output shapes of API.md and input validation (never `.save()`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from core.api import AwareDateTimeField
from facility.models import Organization
from procurement.choices import (
    AwardCriteria,
    BidStatus,
    Currency,
    DocumentStage,
    DocumentType,
    MilestoneStatus,
    MilestoneType,
    PaymentMethod,
    ProcurementCategory,
    ProcurementMethod,
)
from procurement.models import (
    Amendment,
    Award,
    Bid,
    Contract,
    ContractingProcess,
    Document,
    ExchangeRate,
    Milestone,
    Payment,
    Tender,
)
from procurement.money import MINOR_UNITS, Money
from procurement.services import contract_paid_total
from procurement.services.tenders import TenderItemFields

MONEY_SCHEMA = inline_serializer(
    "Money", {"amount": serializers.CharField(), "currency": serializers.ChoiceField(choices=Currency.choices)}
)
PERIOD_SCHEMA = inline_serializer(
    "Period",
    {"start": serializers.DateTimeField(allow_null=True), "end": serializers.DateTimeField(allow_null=True)},
    allow_null=True,  # a tender without that period answers null
)


MAX_AMOUNT = Decimal(10) ** 15


@extend_schema_field(MONEY_SCHEMA)
class MoneyField(serializers.Field):
    """`{"amount": "1234.50", "currency": "EUR"}` <-> Money; more decimals than the currency has are refused."""

    default_error_messages = {
        "invalid": 'Expected {{"amount": "1234.50", "currency": "EUR"}}.',
        "currency": "Unsupported currency; use one of {currencies}.",
        "precision": "{currency} has {digits} decimal places.",
        "too_large": "The amount must be less than 1 000 000 000 000 000 (10^15).",
    }

    def to_representation(self, value: Money) -> dict[str, str]:
        return value.as_dict()

    def to_internal_value(self, data: Any) -> Money:
        if not isinstance(data, dict) or "amount" not in data or "currency" not in data:
            self.fail("invalid")
        currency = str(data["currency"]).upper()
        if currency not in MINOR_UNITS:
            self.fail("currency", currencies=", ".join(MINOR_UNITS))
        if isinstance(data["amount"], float):
            self.fail("invalid")  # floats lose cents; amounts are decimal strings
        try:
            amount = Decimal(str(data["amount"]))
        except InvalidOperation:
            self.fail("invalid")
        if not amount.is_finite():
            self.fail("invalid")
        if abs(amount) >= MAX_AMOUNT:  # stored as 64-bit integer minor units
            self.fail("too_large")
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > MINOR_UNITS[currency]:
            self.fail("precision", currency=currency, digits=MINOR_UNITS[currency])
        return Money(amount, currency)


class PeriodField(serializers.Serializer[Any]):
    start = AwareDateTimeField(allow_null=True, required=False)
    end = AwareDateTimeField(allow_null=True, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start"), attrs.get("end")
        if start and end and end <= start:
            raise serializers.ValidationError({"end": ["The end must be after the start."]})
        return attrs


def _organizations() -> Any:
    return Organization.objects.all()


# --- processes ---


class NumbersSerializer(serializers.Serializer[Any]):
    plan = serializers.CharField(max_length=50, allow_blank=True, required=False)
    request = serializers.CharField(max_length=50, allow_blank=True, required=False)
    prespec = serializers.CharField(max_length=50, allow_blank=True, required=False)
    notice = serializers.CharField(max_length=50, allow_blank=True, required=False)
    notice_order = serializers.CharField(max_length=10, allow_blank=True, required=False)
    contract = serializers.CharField(max_length=50, allow_blank=True, required=False)


class ProcessOutputSerializer(serializers.ModelSerializer[ContractingProcess]):
    numbers = NumbersSerializer(read_only=True)
    budget = MoneyField(read_only=True, allow_null=True)

    class Meta:
        model = ContractingProcess
        fields = [
            "id",
            "ocid",
            "title",
            "description",
            "buyer",
            "procuring_entity",
            "status",
            "main_category",
            "method",
            "method_details",
            "foreign_procurement",
            "international_tender",
            "numbers",
            "budget",
            "fiscal_year",
            "funding_source",
            "project_name",
            "notes",
            "created_at",
            "updated_at",
        ]


class ProcessInputSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(allow_blank=True, required=False)
    buyer = serializers.PrimaryKeyRelatedField(queryset=_organizations())
    procuring_entity = serializers.PrimaryKeyRelatedField(queryset=_organizations())
    main_category = serializers.ChoiceField(choices=ProcurementCategory.choices, required=False)
    method = serializers.ChoiceField(choices=ProcurementMethod.choices, required=False)
    method_details = serializers.CharField(max_length=300, allow_blank=True, required=False)
    foreign_procurement = serializers.BooleanField(required=False)
    international_tender = serializers.BooleanField(required=False)
    numbers = NumbersSerializer(required=False)
    budget = MoneyField(required=False, allow_null=True)
    fiscal_year = serializers.IntegerField(min_value=1900, max_value=2200, required=False, allow_null=True)
    funding_source = serializers.CharField(max_length=200, allow_blank=True, required=False)
    project_name = serializers.CharField(max_length=300, allow_blank=True, required=False)
    notes = serializers.CharField(allow_blank=True, required=False)


class TransitionInputSerializer(serializers.Serializer[Any]):
    to = serializers.CharField(max_length=20)
    note = serializers.CharField(max_length=1000, allow_blank=True, required=False, default="")


class HistoryOutputSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True)
    object = serializers.CharField()
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


# --- tenders and bids ---


def _period(start: Any, end: Any) -> dict[str, Any] | None:
    if start is None and end is None:
        return None
    return {
        "start": serializers.DateTimeField().to_representation(start) if start else None,
        "end": serializers.DateTimeField().to_representation(end) if end else None,
    }


class TenderItemSerializer(serializers.Serializer[Any]):
    description = serializers.CharField(max_length=500)
    classification = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, allow_null=True
    )
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"), default=Decimal(1))
    unit = serializers.CharField(max_length=50, allow_blank=True, required=False, default="")

    def validate_classification(self, value: dict[str, str] | None) -> dict[str, str] | None:
        if value and set(value) - {"scheme", "id", "description"}:
            raise serializers.ValidationError("Use the keys scheme, id and description.")
        return value


def item_columns(item: dict[str, Any]) -> TenderItemFields:
    """An item of the API as TenderItem columns."""
    classification = item.get("classification") or {}
    return {
        "description": item["description"],
        "classification_scheme": classification.get("scheme", ""),
        "classification_id": classification.get("id", ""),
        "classification_description": classification.get("description", ""),
        "quantity": item.get("quantity", Decimal(1)),
        "unit": item.get("unit", ""),
    }


class TenderOutputSerializer(serializers.ModelSerializer[Tender]):
    tender_period = serializers.SerializerMethodField()
    enquiry_period = serializers.SerializerMethodField()
    award_period = serializers.SerializerMethodField()
    estimated_value = MoneyField(read_only=True, allow_null=True)
    items = serializers.SerializerMethodField()

    class Meta:
        model = Tender
        fields = [
            "id",
            "process",
            "status",
            "title",
            "description",
            "tender_period",
            "enquiry_period",
            "award_period",
            "estimated_value",
            "award_criteria",
            "items",
            "published_at",
        ]

    @extend_schema_field(PERIOD_SCHEMA)
    def get_tender_period(self, tender: Tender) -> dict[str, Any] | None:
        return _period(tender.tender_start, tender.tender_end)

    @extend_schema_field(PERIOD_SCHEMA)
    def get_enquiry_period(self, tender: Tender) -> dict[str, Any] | None:
        return _period(tender.enquiry_start, tender.enquiry_end)

    @extend_schema_field(PERIOD_SCHEMA)
    def get_award_period(self, tender: Tender) -> dict[str, Any] | None:
        return _period(tender.award_start, tender.award_end)

    @extend_schema_field(TenderItemSerializer(many=True))
    def get_items(self, tender: Tender) -> list[dict[str, Any]]:
        return [
            {
                "description": item.description,
                "classification": item.classification,
                "quantity": str(item.quantity),
                "unit": item.unit,
            }
            for item in tender.items.all()
        ]


class TenderInputSerializer(serializers.Serializer[Any]):
    process = serializers.PrimaryKeyRelatedField(queryset=ContractingProcess.objects.all())
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(allow_blank=True, required=False)
    tender_period = PeriodField(required=False)
    enquiry_period = PeriodField(required=False)
    award_period = PeriodField(required=False)
    estimated_value = MoneyField(required=False, allow_null=True)
    award_criteria = serializers.ChoiceField(choices=AwardCriteria.choices, required=False, allow_blank=True)
    items = TenderItemSerializer(many=True, required=False)


def tender_columns(data: dict[str, Any]) -> dict[str, Any]:
    """Validated tender input as service keyword arguments (periods flattened to columns)."""
    data = dict(data)
    for name, prefix in (("tender_period", "tender"), ("enquiry_period", "enquiry"), ("award_period", "award")):
        if name in data:
            period = data.pop(name) or {}
            for key in ("start", "end"):
                if key in period:
                    data[f"{prefix}_{key}"] = period[key]
    return data


class BidOutputSerializer(serializers.ModelSerializer[Bid]):
    value = MoneyField(read_only=True)

    class Meta:
        model = Bid
        fields = ["id", "tender", "tenderer", "value", "submitted_at", "status", "rank"]


class BidInputSerializer(serializers.Serializer[Any]):
    tender = serializers.PrimaryKeyRelatedField(queryset=Tender.objects.select_related("process"))
    tenderer = serializers.PrimaryKeyRelatedField(queryset=_organizations())
    value = MoneyField()
    submitted_at = AwareDateTimeField()
    status = serializers.ChoiceField(choices=BidStatus.choices, required=False, default=BidStatus.VALID)
    rank = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class BidUpdateSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=BidStatus.choices, required=False)
    rank = serializers.IntegerField(min_value=1, required=False, allow_null=True)


# --- awards and contracts ---


class AwardOutputSerializer(serializers.ModelSerializer[Award]):
    value = MoneyField(read_only=True)

    class Meta:
        model = Award
        fields = ["id", "process", "title", "suppliers", "value", "date", "status"]


class AwardInputSerializer(serializers.Serializer[Any]):
    process = serializers.PrimaryKeyRelatedField(queryset=ContractingProcess.objects.all())
    title = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")
    suppliers = serializers.PrimaryKeyRelatedField(queryset=_organizations(), many=True)
    value = MoneyField()
    date = AwareDateTimeField(required=False)


class ContractOutputSerializer(serializers.ModelSerializer[Contract]):
    value = MoneyField(read_only=True)
    period = serializers.SerializerMethodField()
    paid = serializers.SerializerMethodField()
    remaining = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = [
            "id",
            "process",
            "award",
            "number",
            "title",
            "value",
            "signed_on",
            "period",
            "status",
            "paid",
            "remaining",
        ]

    @extend_schema_field(
        inline_serializer(
            "DatePeriod",
            {"start": serializers.DateField(allow_null=True), "end": serializers.DateField(allow_null=True)},
            allow_null=True,  # null without dates; either end may be open
        )
    )
    def get_period(self, contract: Contract) -> dict[str, Any] | None:
        if contract.period_start is None and contract.period_end is None:
            return None
        return {
            "start": contract.period_start.isoformat() if contract.period_start else None,
            "end": contract.period_end.isoformat() if contract.period_end else None,
        }

    @extend_schema_field(MONEY_SCHEMA)
    def get_paid(self, contract: Contract) -> dict[str, str]:
        return contract_paid_total(contract).as_dict()

    @extend_schema_field(MONEY_SCHEMA)
    def get_remaining(self, contract: Contract) -> dict[str, str]:
        return (contract.value - contract_paid_total(contract)).as_dict()


class DatePeriodField(serializers.Serializer[Any]):
    start = serializers.DateField(allow_null=True, required=False)
    end = serializers.DateField(allow_null=True, required=False)


class ContractInputSerializer(serializers.Serializer[Any]):
    award = serializers.PrimaryKeyRelatedField(queryset=Award.objects.select_related("process"))
    number = serializers.CharField(max_length=50, allow_blank=True, required=False, default="")
    title = serializers.CharField(max_length=300)
    value = MoneyField()
    period = DatePeriodField(required=False)


class ContractUpdateSerializer(serializers.Serializer[Any]):
    number = serializers.CharField(max_length=50, allow_blank=True, required=False)
    title = serializers.CharField(max_length=300, required=False)
    value = MoneyField(required=False)
    period = DatePeriodField(required=False)


def contract_columns(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    period = data.pop("period", None) or {}
    for key in ("start", "end"):
        if key in period:
            data[f"period_{key}"] = period[key]
    return data


class ContractSignSerializer(serializers.Serializer[Any]):
    signed_on = serializers.DateField()


# --- milestones, amendments, payments, rates ---


class MilestoneOutputSerializer(serializers.ModelSerializer[Milestone]):
    class Meta:
        model = Milestone
        fields = ["id", "contract", "code", "title", "type", "due_date", "date_met", "status"]


class MilestoneInputSerializer(serializers.Serializer[Any]):
    contract = serializers.PrimaryKeyRelatedField(queryset=Contract.objects.select_related("process"))
    code = serializers.SlugField(max_length=50)
    title = serializers.CharField(max_length=300)
    type = serializers.ChoiceField(choices=MilestoneType.choices, required=False, default=MilestoneType.DELIVERY)
    due_date = serializers.DateField(required=False, allow_null=True)
    date_met = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=MilestoneStatus.choices, required=False)


class MilestoneUpdateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=300, required=False)
    type = serializers.ChoiceField(choices=MilestoneType.choices, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    date_met = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=MilestoneStatus.choices, required=False)


class AmendmentOutputSerializer(serializers.ModelSerializer[Amendment]):
    value_change = MoneyField(read_only=True, allow_null=True)

    class Meta:
        model = Amendment
        fields = [
            "id",
            "process",
            "tender",
            "contract",
            "date",
            "rationale",
            "description",
            "value_change",
            "new_period_end",
            "changes",
            "release_id",
        ]


class AmendmentInputSerializer(serializers.Serializer[Any]):
    tender = serializers.PrimaryKeyRelatedField(
        queryset=Tender.objects.select_related("process"), required=False, allow_null=True
    )
    contract = serializers.PrimaryKeyRelatedField(
        queryset=Contract.objects.select_related("process"), required=False, allow_null=True
    )
    date = AwareDateTimeField(required=False)
    rationale = serializers.CharField(max_length=5000)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    value_change = MoneyField(required=False, allow_null=True)
    new_period_end = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("tender")) == bool(attrs.get("contract")):
            raise serializers.ValidationError({"non_field_errors": ["Give either a tender or a contract."]})
        return attrs


class PaymentOutputSerializer(serializers.ModelSerializer[Payment]):
    value = MoneyField(read_only=True)
    krw_amount = MoneyField(read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "contract",
            "date",
            "value",
            "payer",
            "payee",
            "method",
            "milestone",
            "rate_to_krw",
            "krw_amount",
            "exchange_rate",
            "notes",
        ]


class PaymentInputSerializer(serializers.Serializer[Any]):
    contract = serializers.PrimaryKeyRelatedField(queryset=Contract.objects.select_related("process"))
    date = serializers.DateField()
    value = MoneyField()
    payer = serializers.PrimaryKeyRelatedField(queryset=_organizations())
    payee = serializers.PrimaryKeyRelatedField(queryset=_organizations())
    method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False, default=PaymentMethod.OTHER)
    milestone = serializers.PrimaryKeyRelatedField(queryset=Milestone.objects.all(), required=False, allow_null=True)
    rate_to_krw = serializers.DecimalField(
        max_digits=18, decimal_places=6, min_value=Decimal("0.000001"), required=False, allow_null=True
    )
    notes = serializers.CharField(allow_blank=True, required=False, default="")


class ExchangeRateSerializer(serializers.ModelSerializer[ExchangeRate]):
    rate_to_krw = serializers.DecimalField(max_digits=18, decimal_places=6, min_value=Decimal("0.000001"))

    class Meta:
        model = ExchangeRate
        fields = ["id", "date", "currency", "rate_to_krw", "source"]


# --- documents ---


class DocumentOutputSerializer(serializers.ModelSerializer[Document]):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "process",
            "stage",
            "document_type",
            "title",
            "description",
            "sha256",
            "size",
            "media_type",
            "language",
            "supersedes",
            "original_name",
            "uploaded_at",
            "url",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, document: Document) -> str:
        path = reverse("procurement:document-download", kwargs={"pk": document.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class DocumentInputSerializer(serializers.Serializer[Any]):
    process = serializers.PrimaryKeyRelatedField(queryset=ContractingProcess.objects.all())
    file = serializers.FileField(allow_empty_file=True, max_length=255)  # emptiness is the service's check
    stage = serializers.ChoiceField(choices=DocumentStage.choices)
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    language = serializers.CharField(max_length=8, required=False, default="ko")
    supersedes = serializers.PrimaryKeyRelatedField(queryset=Document.objects.all(), required=False, allow_null=True)
