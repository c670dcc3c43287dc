"""REST endpoints: maintenance windows, outages and calibration records (read: everyone; write: staff)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.identity import authenticated_user
from core.api import AwareDateTimeField, UtcIsoDateTimeFilter
from core.permissions import AuthenticatedReadStaffWrite
from core.viewsets import ServiceViewSet
from facility.models import WorkOrder
from scheduling.api.backends import CalibrationOutputSerializer
from scheduling.api.common import UtcDateTimeField
from scheduling.choices import MaintenanceKind, OutageSeverity
from scheduling.models import Backend, CalibrationRecord, MaintenanceWindow, Outage
from scheduling.selectors import calibration_list, maintenance_window_list, outage_list
from scheduling.services import (
    calibration_create,
    maintenance_window_create,
    maintenance_window_update,
    outage_create,
    outage_update,
)


class MaintenanceWindowOutputSerializer(serializers.ModelSerializer[MaintenanceWindow]):
    start = UtcDateTimeField(source="starts_at")
    end = UtcDateTimeField(source="ends_at")

    class Meta:
        model = MaintenanceWindow
        fields = ["id", "backend", "start", "end", "kind", "title", "notes", "work_order"]


class MaintenanceWindowSavedSerializer(MaintenanceWindowOutputSerializer):
    cancelled_bookings = serializers.ListField(child=serializers.IntegerField(), read_only=True)

    class Meta(MaintenanceWindowOutputSerializer.Meta):
        fields = [*MaintenanceWindowOutputSerializer.Meta.fields, "cancelled_bookings"]


def _rename_times(data: dict[str, Any]) -> dict[str, Any]:
    renamed = dict(data)
    if "start" in renamed:
        renamed["starts_at"] = renamed.pop("start")
    if "end" in renamed:
        renamed["ends_at"] = renamed.pop("end")
    return renamed


class MaintenanceWindowViewSet(ServiceViewSet):
    """Planned downtime; saving one cancels the bookings it covers and lists them."""

    permission_classes = [AuthenticatedReadStaffWrite]
    serializer_class = MaintenanceWindowOutputSerializer
    filterset_fields = ["backend", "kind"]

    class InputSerializer(serializers.Serializer[Any]):
        backend = serializers.PrimaryKeyRelatedField(queryset=Backend.objects.all())
        start = AwareDateTimeField()
        end = AwareDateTimeField()
        kind = serializers.ChoiceField(choices=MaintenanceKind.choices, required=False)
        title = serializers.CharField(max_length=200)
        notes = serializers.CharField(required=False, allow_blank=True)
        work_order = serializers.PrimaryKeyRelatedField(
            queryset=WorkOrder.objects.all(), required=False, allow_null=True
        )

    def get_queryset(self) -> Any:
        return maintenance_window_list()

    def _respond(self, result: Any, status: int) -> Response:
        result.window.cancelled_bookings = result.cancelled_bookings
        return Response(MaintenanceWindowSavedSerializer(result.window).data, status=status)

    @extend_schema(request=InputSerializer, responses={201: MaintenanceWindowSavedSerializer})
    def create(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = maintenance_window_create(by=authenticated_user(request), **_rename_times(serializer.validated_data))
        return self._respond(result, 201)

    @extend_schema(request=InputSerializer, responses={200: MaintenanceWindowSavedSerializer})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        window = self.get_object()
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        result = maintenance_window_update(
            window=window, by=authenticated_user(request), **_rename_times(serializer.validated_data)
        )
        return self._respond(result, 200)


class OutageOutputSerializer(serializers.ModelSerializer[Outage]):
    start = UtcDateTimeField(source="starts_at")
    end = UtcDateTimeField(source="ends_at", allow_null=True)
    credited_at = UtcDateTimeField(allow_null=True)

    class Meta:
        model = Outage
        fields = ["id", "backend", "start", "end", "severity", "cause", "resolution", "work_order", "credited_at"]


class OutageViewSet(ServiceViewSet):
    """Unplanned downtime; setting `end` closes it and credits the booked time it took."""

    permission_classes = [AuthenticatedReadStaffWrite]
    serializer_class = OutageOutputSerializer
    filterset_fields = ["backend", "severity"]

    class InputSerializer(serializers.Serializer[Any]):
        backend = serializers.PrimaryKeyRelatedField(queryset=Backend.objects.all())
        start = AwareDateTimeField()
        end = AwareDateTimeField(required=False, allow_null=True)
        severity = serializers.ChoiceField(choices=OutageSeverity.choices)
        cause = serializers.CharField(required=False, allow_blank=True)
        resolution = serializers.CharField(required=False, allow_blank=True)
        work_order = serializers.PrimaryKeyRelatedField(
            queryset=WorkOrder.objects.all(), required=False, allow_null=True
        )

    def get_queryset(self) -> Any:
        return outage_list()

    input_serializer = InputSerializer

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return outage_create(**_rename_times(data))

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        return outage_update(outage=instance, **_rename_times(data))


class CalibrationFilter(filters.FilterSet):  # type: ignore[misc]  # django-filter ships no types
    """`backend` (as before), and the measurement time within `[measured_after, measured_before)`."""

    measured_after = UtcIsoDateTimeFilter(field_name="measured_at", lookup_expr="gte")
    measured_before = UtcIsoDateTimeFilter(field_name="measured_at", lookup_expr="lt")

    class Meta:
        model = CalibrationRecord
        fields = ["backend", "measured_after", "measured_before"]


class CalibrationViewSet(ServiceViewSet):
    """Calibration records, validated against the backend's qubits and couplers; filters `backend`,
    `measured_after` (inclusive) and `measured_before` (exclusive)."""

    permission_classes = [AuthenticatedReadStaffWrite]
    serializer_class = CalibrationOutputSerializer
    filterset_class = CalibrationFilter

    class InputSerializer(serializers.Serializer[Any]):
        backend = serializers.PrimaryKeyRelatedField(queryset=Backend.objects.all())
        measured_at = AwareDateTimeField(required=False)
        qubits = serializers.JSONField()
        couplers = serializers.JSONField()
        notes = serializers.CharField(required=False, allow_blank=True)

    def get_queryset(self) -> Any:
        return calibration_list()

    input_serializer = InputSerializer
    http_method_names = ["get", "post", "head", "options"]  # a calibration record is never changed

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        record: CalibrationRecord = calibration_create(**data)
        return record
