"""What the procurement serializers share: money, periods, organisations."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from core.api import AwareDateTimeField
from facility.models import Organization
from procurement.choices import (
    Currency,
)
from procurement.money import MINOR_UNITS, Money

MONEY_SCHEMA = inline_serializer(
    "Money", {"amount": serializers.CharField(), "currency": serializers.ChoiceField(choices=Currency.choices)}
)
PERIOD_SCHEMA = inline_serializer(
    "Period",
    {"start": serializers.DateTimeField(allow_null=True), "end": serializers.DateTimeField(allow_null=True)},
    allow_null=True,  # a tender without that period answers null
)


MAX_AMOUNT = Decimal(10) ** 15

PUBLISHED_AT_HELP = (
    "When this step's information was first published, in this system or another (e.g. a bid notice in the "
    "national e-procurement system); it dates the step's OCDS release. Optional, default now. It may be neither "
    "in the future nor before the process's previous release (400 on this field): a process's releases are dated "
    "in the order they were published."
)


def published_at_field() -> AwareDateTimeField:
    """The optional date of first publication every recorded step takes (write-only)."""
    return AwareDateTimeField(required=False, write_only=True, help_text=PUBLISHED_AT_HELP)


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


def organizations() -> Any:
    return Organization.objects.all()


def period_or_none(start: Any, end: Any) -> dict[str, Any] | None:
    if start is None and end is None:
        return None
    return {
        "start": serializers.DateTimeField().to_representation(start) if start else None,
        "end": serializers.DateTimeField().to_representation(end) if end else None,
    }


class DatePeriodField(serializers.Serializer[Any]):
    start = serializers.DateField(allow_null=True, required=False)
    end = serializers.DateField(allow_null=True, required=False)
