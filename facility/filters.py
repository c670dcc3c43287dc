"""Query-string filters of the facility API."""

from __future__ import annotations

from django_filters import rest_framework as filters

from core.api import ID_FILTER_BOUNDS, UtcIsoDateTimeFilter
from facility.models import Equipment, OfficeActivity, Organization, RegionalOffice, Site, WorkOrder


class OrganizationFilter(filters.FilterSet):  # type: ignore[misc]  # django-filter ships no types
    class Meta:
        model = Organization
        fields = ["kind", "country", "parent"]


class SiteFilter(filters.FilterSet):  # type: ignore[misc]  # django-filter ships no types
    class Meta:
        model = Site
        fields = ["organization", "country"]


class OfficeFilter(filters.FilterSet):  # type: ignore[misc]  # django-filter ships no types
    opened_after = filters.DateFilter(field_name="opened_on", lookup_expr="gte")
    opened_before = filters.DateFilter(field_name="opened_on", lookup_expr="lt")

    class Meta:
        model = RegionalOffice
        fields = ["organization", "status", "country"]


class OfficeActivityFilter(filters.FilterSet):  # type: ignore[misc]  # django-filter ships no types
    start_after = UtcIsoDateTimeFilter(field_name="start", lookup_expr="gte")
    start_before = UtcIsoDateTimeFilter(field_name="start", lookup_expr="lt")

    class Meta:
        model = OfficeActivity
        fields = ["office", "kind", "organization"]


class EquipmentFilter(filters.FilterSet):  # type: ignore[misc]  # django-filter ships no types
    class Meta:
        model = Equipment
        fields = ["site", "kind", "status", "manufacturer", "serial_number"]


class WorkOrderFilter(filters.FilterSet):  # type: ignore[misc]  # django-filter ships no types
    site = filters.NumberFilter(field_name="equipment__site", **ID_FILTER_BOUNDS)
    opened_after = UtcIsoDateTimeFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = UtcIsoDateTimeFilter(field_name="opened_at", lookup_expr="lt")
    due_after = filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lt")

    class Meta:
        model = WorkOrder
        fields = ["equipment", "office", "assignee", "kind", "status"]
