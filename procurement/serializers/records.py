"""Serializers of milestones, amendments, payments and exchange rates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from core.api import AwareDateTimeField
from procurement.choices import (
    MilestoneStatus,
    MilestoneType,
    PaymentMethod,
)
from procurement.models import (
    Amendment,
    Contract,
    ExchangeRate,
    Milestone,
    Payment,
    Tender,
)
from procurement.serializers.common import (
    MoneyField,
    organizations,
    published_at_field,
)


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
    published_at = published_at_field()


class MilestoneUpdateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=300, required=False)
    type = serializers.ChoiceField(choices=MilestoneType.choices, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    date_met = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=MilestoneStatus.choices, required=False)
    published_at = published_at_field()


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
    published_at = published_at_field()

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
    payer = serializers.PrimaryKeyRelatedField(queryset=organizations())
    payee = serializers.PrimaryKeyRelatedField(queryset=organizations())
    method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False, default=PaymentMethod.OTHER)
    milestone = serializers.PrimaryKeyRelatedField(queryset=Milestone.objects.all(), required=False, allow_null=True)
    rate_to_krw = serializers.DecimalField(
        max_digits=18, decimal_places=6, min_value=Decimal("0.000001"), required=False, allow_null=True
    )
    notes = serializers.CharField(allow_blank=True, required=False, default="")
    published_at = published_at_field()


class ExchangeRateSerializer(serializers.ModelSerializer[ExchangeRate]):
    rate_to_krw = serializers.DecimalField(max_digits=18, decimal_places=6, min_value=Decimal("0.000001"))

    class Meta:
        model = ExchangeRate
        fields = ["id", "date", "currency", "rate_to_krw", "source"]
