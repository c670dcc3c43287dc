"""REST routes of the reports app (mounted under /api/v1/)."""

from django.urls import URLPattern, URLResolver, include, path

from reports.api import ReportDetailApi, ReportDownloadApi, ReportListCreateApi

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "reports/",
        include(
            [
                path("", ReportListCreateApi.as_view(), name="report-list"),
                path("<int:pk>/", ReportDetailApi.as_view(), name="report-detail"),
                path("<int:pk>/download/", ReportDownloadApi.as_view(), name="report-download"),
            ]
        ),
    )
]
