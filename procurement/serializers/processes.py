"""Serializers of contracting processes, their transitions and history."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from procurement.choices import (
    ProcurementCategory,
    ProcurementMethod,
)
from procurement.models import (
    ContractingProcess,
)
from procurement.serializers.common import (
    MoneyField,
    organizations,
    published_at_field,
)


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
    buyer = serializers.PrimaryKeyRelatedField(queryset=organizations())
    procuring_entity = serializers.PrimaryKeyRelatedField(queryset=organizations())
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
    published_at = published_at_field()


class TransitionInputSerializer(serializers.Serializer[Any]):
    to = serializers.CharField(max_length=20)
    note = serializers.CharField(max_length=1000, allow_blank=True, required=False, default="")
    published_at = published_at_field()


class HistoryOutputSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True)
    object = serializers.CharField()
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)
