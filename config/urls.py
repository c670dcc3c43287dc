"""URLs: admin, portal, REST API v1, schema and docs, health, calendar feeds."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import health
from scheduling.views import CalendarFeedView

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("facility.api_urls")),
    path("", include("scheduling.api_urls")),
    path("procurement/", include("procurement.api_urls")),
    path("", include("reports.api_urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:home", permanent=False)),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("portal/reports/", include("reports.portal_urls")),
    path("portal/", include("scheduling.portal.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start script as a file (`?script=`): no inline script under the CSP.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("calendar/<str:secret>.ics", CalendarFeedView.as_view(), name="calendar-feed"),
]

# JSON, not an HTML page, for a URL under /api/ that matches no route.
handler404 = "core.api.not_found"

admin.site.site_header = "Quantum Facility Records"
admin.site.site_title = "Quantum Facility Records"
admin.site.index_title = "Administration"

# Uploaded documents and report files are never served from MEDIA_URL: only through their API download
# endpoints, which check permissions.
