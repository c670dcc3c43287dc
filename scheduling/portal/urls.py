"""Routes of the researcher portal (mounted at /portal/)."""

from django.urls import path

from scheduling.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="home"),
    path("calendar/", views.CalendarView.as_view(), name="calendar"),
    path("bookings/", views.BookingListView.as_view(), name="booking-list"),
    path("bookings/new/", views.BookingCreateView.as_view(), name="booking-create"),
    path("bookings/<int:pk>/cancel/", views.BookingCancelView.as_view(), name="booking-cancel"),
    path("jobs/", views.JobListView.as_view(), name="job-list"),
    path("jobs/new/", views.JobCreateView.as_view(), name="job-create"),
    path("jobs/export.csv", views.JobExportView.as_view(), name="job-export"),
    path("jobs/<int:pk>/results.<str:fmt>", views.JobResultsView.as_view(), name="job-results"),
    path("jobs/<int:pk>/", views.JobDetailView.as_view(), name="job-detail"),
    path("jobs/<int:pk>/cancel/", views.JobCancelView.as_view(), name="job-cancel"),
    path("usage/", views.UsageView.as_view(), name="usage"),
    path("projects/", views.ProjectListView.as_view(), name="project-list"),
    path("projects/<int:pk>/members/", views.ProjectMemberAddView.as_view(), name="project-member-add"),
    path(
        "projects/<int:pk>/members/<int:user_id>/remove/",
        views.ProjectMemberRemoveView.as_view(),
        name="project-member-remove",
    ),
    path("projects/<int:pk>/members/<int:user_id>/pi/", views.ProjectPiHandoverView.as_view(), name="project-pi"),
    path("waitlist/", views.WaitlistView.as_view(), name="waitlist"),
    path("waitlist/join/", views.WaitlistJoinView.as_view(), name="waitlist-join"),
    path("waitlist/<int:pk>/leave/", views.WaitlistLeaveView.as_view(), name="waitlist-leave"),
    path("calibrations/", views.CalibrationHistoryView.as_view(), name="calibration-history"),
    path("calibrations/<int:pk>/", views.CalibrationDetailView.as_view(), name="calibration-detail"),
]
