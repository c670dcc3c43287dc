"""REST endpoints of the facility app (staff with model permissions; researchers get 403)."""

from facility.api.equipment import EquipmentViewSet, WorkOrderViewSet
from facility.api.offices import OfficeActivityViewSet, OfficeViewSet
from facility.api.organizations import OrganizationViewSet, SiteViewSet

__all__ = [
    "EquipmentViewSet",
    "OfficeActivityViewSet",
    "OfficeViewSet",
    "OrganizationViewSet",
    "SiteViewSet",
    "WorkOrderViewSet",
]
