"""REST endpoints for organisations and sites."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request

from core.viewsets import ServiceViewSet
from facility import selectors, services
from facility.filters import (
    OrganizationFilter,
    SiteFilter,
)
from facility.models import Organization, Site

# Organisations


class OrganizationOutputSerializer(serializers.ModelSerializer[Organization]):
    country = serializers.CharField(source="country.code")

    class Meta:
        model = Organization
        fields = ["id", "name", "short_name", "kind", "country", "identifier_scheme", "identifier", "parent", "notes"]


class OrganizationInputSerializer(serializers.ModelSerializer[Organization]):
    class Meta:
        model = Organization
        fields = ["name", "short_name", "kind", "country", "identifier_scheme", "identifier", "parent", "notes"]
        validators: list[Any] = []  # constraints are checked by the service's full_clean()


@extend_schema_view(
    create=extend_schema(request=OrganizationInputSerializer),
    update=extend_schema(request=OrganizationInputSerializer),
    partial_update=extend_schema(request=OrganizationInputSerializer),
)
class OrganizationViewSet(ServiceViewSet):
    """Universities, agencies, vendors and their units."""

    http_method_names = [*ServiceViewSet.http_method_names, "put"]  # facility records are replaced whole too
    queryset = selectors.organization_list()
    serializer_class = OrganizationOutputSerializer
    input_serializer = OrganizationInputSerializer
    filterset_class = OrganizationFilter

    def get_queryset(self) -> Any:
        return selectors.organization_list()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return services.organization_create(**data)

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        return services.organization_update(organization=instance, **data)


# Sites


class SiteOutputSerializer(serializers.ModelSerializer[Site]):
    country = serializers.CharField(source="country.code")

    class Meta:
        model = Site
        fields = ["id", "name", "organization", "address", "city", "country", "time_zone"]


class SiteInputSerializer(serializers.ModelSerializer[Site]):
    class Meta:
        model = Site
        fields = ["name", "organization", "address", "city", "country", "time_zone"]
        validators: list[Any] = []


@extend_schema_view(
    create=extend_schema(request=SiteInputSerializer),
    update=extend_schema(request=SiteInputSerializer),
    partial_update=extend_schema(request=SiteInputSerializer),
)
class SiteViewSet(ServiceViewSet):
    """Places where equipment is installed."""

    http_method_names = [*ServiceViewSet.http_method_names, "put"]  # facility records are replaced whole too
    queryset = selectors.site_list()
    serializer_class = SiteOutputSerializer
    input_serializer = SiteInputSerializer
    filterset_class = SiteFilter

    def get_queryset(self) -> Any:
        return selectors.site_list()

    def service_create(self, request: Request, data: dict[str, Any]) -> Model:
        return services.site_create(**data)

    def service_update(self, request: Request, instance: Any, data: dict[str, Any]) -> Model:
        return services.site_update(site=instance, **data)
