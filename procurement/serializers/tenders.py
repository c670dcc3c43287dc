"""Serializers of tenders, their items and bids."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import AwareDateTimeField
from procurement.choices import (
    AwardCriteria,
    BidStatus,
)
from procurement.models import (
    Bid,
    ContractingProcess,
    Tender,
)
from procurement.serializers.common import (
    PERIOD_SCHEMA,
    MoneyField,
    PeriodField,
    organizations,
    period_or_none,
    published_at_field,
)
from procurement.services.tenders import TenderItemFields


class TenderItemSerializer(serializers.Serializer[Any]):
    description = serializers.CharField(max_length=500)
    classification = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, allow_null=True
    )
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"), default=Decimal(1))
    unit = serializers.CharField(max_length=50, allow_blank=True, required=False, default="")
    published_at = published_at_field()

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
        return period_or_none(tender.tender_start, tender.tender_end)

    @extend_schema_field(PERIOD_SCHEMA)
    def get_enquiry_period(self, tender: Tender) -> dict[str, Any] | None:
        return period_or_none(tender.enquiry_start, tender.enquiry_end)

    @extend_schema_field(PERIOD_SCHEMA)
    def get_award_period(self, tender: Tender) -> dict[str, Any] | None:
        return period_or_none(tender.award_start, tender.award_end)

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
    published_at = published_at_field()


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
    tenderer = serializers.PrimaryKeyRelatedField(queryset=organizations())
    value = MoneyField()
    submitted_at = AwareDateTimeField()
    status = serializers.ChoiceField(choices=BidStatus.choices, required=False, default=BidStatus.VALID)
    rank = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    published_at = published_at_field()


class BidUpdateSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=BidStatus.choices, required=False)
    rank = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    published_at = published_at_field()
