"""REST endpoints for regional offices and their activities."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import AwareDateTimeField
from core.schema import DOMAIN_ERROR
from core.viewsets import ServiceViewSet
from facility import selectors, services
from facility.filters import (
    OfficeActivityFilter,
    OfficeFilter,
)
from facility.models import OfficeActivity, RegionalOffice

# Regional offices


class OfficeOutputSerializer(serializers.ModelSerializer[RegionalOffice]):
    country = serializers.CharField(source="country.code")

    class Meta:
        model = RegionalOffice
        fields = [
            "id",
            "name",
            "organization",
            "city",
            "country",
            "time_zone",
            "opened_on",
            "closed_on",
            "status",
            "head",
            "notes",
        ]


class OfficeInputSerializer(serializers.ModelSerializer[RegionalOffice]):
    class Meta:
        model = RegionalOffice
        fields = ["name", "organization", "city", "country", "time_zone", "opened_on", "status", "head", "notes"]
        validators: list[Any] = []


class OfficeCloseInputSerializer(serializers.Serializer[Any]):
    closed_on = serializers.DateField(required=False)


@extend_schema_view(
    create=extend_schema(request=OfficeInputSerializer, responses={201: OfficeOutputSerializer, 409: DOMAIN_ERROR}),
    update=extend_schema(request=OfficeInputSerializer, responses={200: OfficeOutputSerializer, 409: DOMAIN_ERROR}),
    partial_update=extend_schema(
        request=OfficeInputSerializer, responses={200: OfficeOutputSerializer, 409: DOMAIN_ERROR}
    ),
)
class OfficeViewSet(ServiceViewSet):
    """A vendor's regional offices."""

    http_method_names = [*ServiceViewSet.http_method_names, "put"]  # facility records are replaced whole too
    queryset = selectors.office_list()
    serializer_class = OfficeOutputSerializer
    input_serializer = OfficeInputSerializer
    filterset_class = OfficeFilter
    action_permissions = {"close": "change"}

    def get_queryset(self) -> Any:
        return selectors.office_list()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return services.office_create(**data)

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        return services.office_update(office=instance, **data)

    @extend_schema(
        request=OfficeCloseInputSerializer,
        responses={200: OfficeOutputSerializer, 409: DOMAIN_ERROR},
        description="Close the office; 409 `office_has_open_work_orders` (with `work_orders`) while any is open.",
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        office = services.office_close(office=self.get_object(), **self.validated(OfficeCloseInputSerializer))
        return self.respond(office)


# Office activities


class OfficeActivityOutputSerializer(serializers.ModelSerializer[OfficeActivity]):
    class Meta:
        model = OfficeActivity
        fields = ["id", "office", "kind", "title", "start", "end", "organization", "participants", "notes"]


class OfficeActivityInputSerializer(serializers.ModelSerializer[OfficeActivity]):
    start = AwareDateTimeField()
    end = AwareDateTimeField()

    class Meta:
        model = OfficeActivity
        fields = ["office", "kind", "title", "start", "end", "organization", "participants", "notes"]
        validators: list[Any] = []


@extend_schema_view(
    create=extend_schema(request=OfficeActivityInputSerializer),
    update=extend_schema(request=OfficeActivityInputSerializer),
    partial_update=extend_schema(request=OfficeActivityInputSerializer),
)
class OfficeActivityViewSet(ServiceViewSet):
    """Trainings, workshops, site visits, meetings and support calls of the offices."""

    http_method_names = [*ServiceViewSet.http_method_names, "put"]  # facility records are replaced whole too
    queryset = selectors.office_activity_list()
    serializer_class = OfficeActivityOutputSerializer
    input_serializer = OfficeActivityInputSerializer
    filterset_class = OfficeActivityFilter

    def get_queryset(self) -> Any:
        return selectors.office_activity_list()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return services.office_activity_create(**data)

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        return services.office_activity_update(activity=instance, **data)
