"""REST routes of the scheduling app (mounted under /api/v1/). Add an area with one `router.register` line."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from scheduling.api import backends, bookings, downtime, jobs, projects

router = SimpleRouter()
router.register("backends", backends.BackendViewSet, basename="backend")
router.register("maintenance-windows", downtime.MaintenanceWindowViewSet, basename="maintenance-window")
router.register("outages", downtime.OutageViewSet, basename="outage")
router.register("calibrations", downtime.CalibrationViewSet, basename="calibration")
router.register("projects", projects.ProjectViewSet, basename="project")
router.register("allocations", projects.AllocationViewSet, basename="allocation")
router.register("bookings", bookings.BookingViewSet, basename="booking")
router.register("jobs", jobs.JobViewSet, basename="job")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
