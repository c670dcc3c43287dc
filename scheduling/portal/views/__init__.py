"""Portal pages: thin views that parse input, call one scheduling service or selector, and render."""

from scheduling.portal.views.base import PortalView, calibration_summary
from scheduling.portal.views.bookings import BookingCancelView, BookingCreateView, BookingListView
from scheduling.portal.views.calibrations import CalibrationDetailView, CalibrationHistoryView
from scheduling.portal.views.dashboard import CalendarView, DashboardView, UsageView
from scheduling.portal.views.exports import JobExportView, JobResultsView
from scheduling.portal.views.jobs import JobCancelView, JobCreateView, JobDetailView, JobListView
from scheduling.portal.views.projects import (
    ProjectListView,
    ProjectMemberAddView,
    ProjectMemberRemoveView,
    ProjectPiHandoverView,
)
from scheduling.portal.views.waitlist import WaitlistJoinView, WaitlistLeaveView, WaitlistView

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
    "JobExportView",
    "JobListView",
    "JobResultsView",
    "PortalView",
    "ProjectListView",
    "ProjectMemberAddView",
    "ProjectMemberRemoveView",
    "ProjectPiHandoverView",
    "UsageView",
    "WaitlistJoinView",
    "WaitlistLeaveView",
    "WaitlistView",
    "calibration_summary",
]
