"""Routes of the portal's usage reports (mounted at /portal/reports/)."""

from django.urls import path

from reports import portal

app_name = "portal-reports"

urlpatterns = [
    path("", portal.UsageReportListView.as_view(), name="list"),
    path("<int:pk>/download/<str:fmt>/", portal.UsageReportDownloadView.as_view(), name="download"),
]
