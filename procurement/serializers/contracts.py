"""Serializers of awards and contracts."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from core.api import AwareDateTimeField
from procurement.models import (
    Award,
    Contract,
    ContractingProcess,
)
from procurement.serializers.common import (
    MONEY_SCHEMA,
    DatePeriodField,
    MoneyField,
    organizations,
    published_at_field,
)
from procurement.services import contract_paid_total


class AwardOutputSerializer(serializers.ModelSerializer[Award]):
    value = MoneyField(read_only=True)

    class Meta:
        model = Award
        fields = ["id", "process", "title", "suppliers", "value", "date", "status"]


class AwardInputSerializer(serializers.Serializer[Any]):
    process = serializers.PrimaryKeyRelatedField(queryset=ContractingProcess.objects.all())
    title = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")
    suppliers = serializers.PrimaryKeyRelatedField(queryset=organizations(), many=True)
    value = MoneyField()
    date = AwareDateTimeField(required=False)
    published_at = published_at_field()


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


class ContractInputSerializer(serializers.Serializer[Any]):
    award = serializers.PrimaryKeyRelatedField(queryset=Award.objects.select_related("process"))
    number = serializers.CharField(max_length=50, allow_blank=True, required=False, default="")
    title = serializers.CharField(max_length=300)
    value = MoneyField()
    period = DatePeriodField(required=False)
    published_at = published_at_field()


class ContractUpdateSerializer(serializers.Serializer[Any]):
    number = serializers.CharField(max_length=50, allow_blank=True, required=False)
    title = serializers.CharField(max_length=300, required=False)
    value = MoneyField(required=False)
    period = DatePeriodField(required=False)
    published_at = published_at_field()


def contract_columns(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    period = data.pop("period", None) or {}
    for key in ("start", "end"):
        if key in period:
            data[f"period_{key}"] = period[key]
    return data


class ContractSignSerializer(serializers.Serializer[Any]):
    signed_on = serializers.DateField()
    published_at = published_at_field()
