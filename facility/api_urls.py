"""REST routes of the facility app (mounted under /api/v1/)."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from facility import api

router = SimpleRouter()
router.register("organizations", api.OrganizationViewSet, basename="organization")
router.register("sites", api.SiteViewSet, basename="site")
router.register("offices", api.OfficeViewSet, basename="office")
router.register("office-activities", api.OfficeActivityViewSet, basename="office-activity")
router.register("equipment", api.EquipmentViewSet, basename="equipment")
router.register("work-orders", api.WorkOrderViewSet, basename="work-order")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
