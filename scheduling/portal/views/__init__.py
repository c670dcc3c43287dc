"""Portal pages: thin views that parse input, call one scheduling service or selector, and render."""

from scheduling.portal.views.base import PortalView, calibration_summary
from scheduling.portal.views.bookings import BookingCancelView, BookingCreateView, BookingListView
from scheduling.portal.views.calibrations import CalibrationDetailView, CalibrationHistoryView
from scheduling.portal.views.dashboard import CalendarView, DashboardView, UsageView
from scheduling.portal.views.jobs import JobCancelView, JobCreateView, JobDetailView, JobListView

__all__ = [
    "BookingCancelView",
    "BookingCreateView",
    "BookingListView",
    "CalendarView",
    "CalibrationDetailView",
    "CalibrationHistoryView",
    "DashboardView",
    "JobCancelView",
    "JobCreateView",
    "JobDetailView",
    "JobListView",
    "PortalView",
    "UsageView",
    "calibration_summary",
]
