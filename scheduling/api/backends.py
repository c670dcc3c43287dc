"""REST endpoints: backends (with policy, timing, latest calibration) and their availability."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Model
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.identity import authenticated_user
from core.api import AwareDateTimeField
from core.permissions import AuthenticatedReadStaffWrite
from core.viewsets import ServiceViewSet
from facility.models import Equipment, Site
from scheduling.api.common import UtcDateTimeField
from scheduling.choices import BackendStatus
from scheduling.models import Backend, CalibrationRecord
from scheduling.selectors import backend_availability_get, backend_list
from scheduling.selectors.availability import MAX_AVAILABILITY_DAYS
from scheduling.services import backend_create, backend_update
from scheduling.services.backends import PolicyFields


class PolicySerializer(serializers.Serializer[Any]):
    slot_minutes = serializers.IntegerField(min_value=1, required=False)
    min_minutes = serializers.IntegerField(min_value=1, required=False)
    max_minutes = serializers.IntegerField(min_value=1, required=False)
    horizon_days = serializers.IntegerField(min_value=1, required=False)
    free_cancel_hours = serializers.IntegerField(min_value=0, required=False)
    approval_over_minutes = serializers.IntegerField(min_value=0, allow_null=True, required=False)
    max_future_bookings = serializers.IntegerField(min_value=1, required=False)
    max_queued_jobs = serializers.IntegerField(min_value=1, required=False)


class TimingSerializer(serializers.Serializer[Any]):
    prx_ns = serializers.IntegerField(min_value=1, required=False)
    cz_ns = serializers.IntegerField(min_value=1, required=False)
    readout_ns = serializers.IntegerField(min_value=1, required=False)
    rep_delay_us = serializers.IntegerField(min_value=0, required=False)
    overhead_s = serializers.DecimalField(max_digits=8, decimal_places=3, min_value=0, required=False)


class CalibrationOutputSerializer(serializers.ModelSerializer[CalibrationRecord]):
    measured_at = UtcDateTimeField()
    qubits = serializers.JSONField()
    couplers = serializers.JSONField()

    class Meta:
        model = CalibrationRecord
        fields = ["id", "backend", "measured_at", "qubits", "couplers", "notes"]


class BackendOutputSerializer(serializers.ModelSerializer[Backend]):
    num_qubits = serializers.IntegerField(read_only=True)
    policy = serializers.SerializerMethodField()
    timing = serializers.SerializerMethodField()
    latest_calibration = serializers.SerializerMethodField()
    created_at = UtcDateTimeField()

    class Meta:
        model = Backend
        fields = [
            "id",
            "name",
            "display_name",
            "site",
            "equipment",
            "num_qubits",
            "qubits",
            "couplers",
            "native_gates",
            "status",
            "policy",
            "timing",
            "latest_calibration",
            "created_at",
        ]

    @extend_schema_field(PolicySerializer)
    def get_policy(self, backend: Backend) -> dict[str, Any] | None:
        policy = getattr(backend, "policy", None)
        return PolicySerializer(policy).data if policy is not None else None

    @extend_schema_field(TimingSerializer)
    def get_timing(self, backend: Backend) -> dict[str, Any]:
        return dict(TimingSerializer(backend).data)

    @extend_schema_field(CalibrationOutputSerializer)
    def get_latest_calibration(self, backend: Backend) -> dict[str, Any] | None:
        records = getattr(backend, "latest_calibrations", None)
        if records is None:
            from scheduling.selectors import calibration_latest

            record = calibration_latest(backend=backend)
        else:
            record = records[0] if records else None
        return CalibrationOutputSerializer(record).data if record is not None else None


class BackendViewSet(ServiceViewSet):
    """Backends: read for every signed-in user; create and change for staff."""

    permission_classes = [AuthenticatedReadStaffWrite]
    serializer_class = BackendOutputSerializer
    filterset_fields = ["site", "status"]

    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.SlugField(max_length=50)
        display_name = serializers.CharField(max_length=200)
        site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
        equipment = serializers.PrimaryKeyRelatedField(queryset=Equipment.objects.all())
        qubits = serializers.ListField(child=serializers.CharField(max_length=20), required=False, min_length=1)
        couplers = serializers.ListField(
            child=serializers.ListField(child=serializers.CharField(max_length=20), min_length=2, max_length=2),
            required=False,
        )
        native_gates = serializers.ListField(child=serializers.CharField(max_length=20), required=False)
        status = serializers.ChoiceField(choices=BackendStatus.choices, required=False)
        policy = PolicySerializer(required=False)
        timing = TimingSerializer(required=False)

    class AvailabilityQuerySerializer(serializers.Serializer[Any]):
        start = AwareDateTimeField()
        end = AwareDateTimeField()

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if attrs["end"] <= attrs["start"]:
                raise serializers.ValidationError({"end": ["The end must be after the start."]})
            if attrs["end"] - attrs["start"] > datetime.timedelta(days=MAX_AVAILABILITY_DAYS):
                raise serializers.ValidationError({"end": [f"Ask for at most {MAX_AVAILABILITY_DAYS} days."]})
            return attrs

    def get_queryset(self) -> Any:
        return backend_list()

    def _fields(self, data: dict[str, Any]) -> tuple[dict[str, Any], PolicyFields | None]:
        timing = data.pop("timing", None) or {}
        policy: PolicyFields | None = data.pop("policy", None)
        return {**data, **timing}, policy

    input_serializer = InputSerializer

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        fields, policy = self._fields(data)
        return backend_create(policy=policy, **fields)

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        fields, policy = self._fields(data)
        return backend_update(backend=instance, policy=policy, **fields)

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, OpenApiParameter.QUERY, required=True),
            OpenApiParameter("end", str, OpenApiParameter.QUERY, required=True),
        ],
        responses=inline_serializer(
            "Availability",
            {
                "backend": serializers.IntegerField(),
                "start": serializers.DateTimeField(),
                "end": serializers.DateTimeField(),
                "busy": serializers.ListField(child=serializers.DictField()),
                "free": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    @action(detail=True, methods=["get"])
    def availability(self, request: Request, pk: str | None = None) -> Response:
        """Busy and free intervals of the backend in `[start, end)` (at most 31 days)."""
        backend = self.get_object()
        query = self.AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = backend_availability_get(backend=backend, viewer=authenticated_user(request), **query.validated_data)
        return Response(result.as_dict())
