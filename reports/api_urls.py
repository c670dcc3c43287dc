"""REST routes of the reports app (mounted under /api/v1/)."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from reports.api import ReportViewSet

app_name = "reports"

router = SimpleRouter()
router.register("reports", ReportViewSet, basename="report")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
