"""Admin of organisations and sites."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ServiceAdmin
from facility import services
from facility.models import Organization, Site

# Organisations and sites


@admin.register(Organization)
class OrganizationAdmin(ServiceAdmin):
    list_display = ["name", "short_name", "kind", "country", "parent", "identifier_scheme", "identifier"]
    list_filter = ["kind", "country"]
    list_select_related = ["parent"]
    search_fields = ["name", "short_name", "identifier"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["created_at", "updated_at"]
    create_service = staticmethod(services.organization_create)
    update_service = staticmethod(services.organization_update)
    instance_kwarg = "organization"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Site)
class SiteAdmin(ServiceAdmin):
    list_display = ["name", "organization", "city", "country", "time_zone"]
    list_filter = ["country", "time_zone"]
    list_select_related = ["organization"]
    search_fields = ["name", "city", "organization__name"]
    autocomplete_fields = ["organization"]
    create_service = staticmethod(services.site_create)
    update_service = staticmethod(services.site_update)
    instance_kwarg = "site"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
