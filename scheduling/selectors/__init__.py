"""Reads of the scheduling app (re-exported for other apps and the portal)."""

from scheduling.selectors.availability import Availability, backend_availability_get
from scheduling.selectors.backends import backend_get, backend_list, backend_time_zone_get
from scheduling.selectors.bookings import (
    Conflict,
    booking_approver_list,
    booking_conflict_list,
    booking_get_for_user,
    booking_list_for_user,
    booking_list_overlapping,
    booking_slot_check,
)
from scheduling.selectors.calibrations import calibration_latest, calibration_list
from scheduling.selectors.downtime import maintenance_window_list, outage_list
from scheduling.selectors.projects import (
    allocation_list_for_user,
    allocation_list_with_usage,
    project_list_for_user,
)
from scheduling.selectors.waitlist import waitlist_get_for_user, waitlist_list_for_user, waitlist_list_mine

__all__ = [
    "Availability",
    "Conflict",
    "allocation_list_for_user",
    "allocation_list_with_usage",
    "backend_availability_get",
    "backend_get",
    "backend_list",
    "backend_time_zone_get",
    "booking_approver_list",
    "booking_conflict_list",
    "booking_get_for_user",
    "booking_list_for_user",
    "booking_list_overlapping",
    "booking_slot_check",
    "calibration_latest",
    "calibration_list",
    "maintenance_window_list",
    "outage_list",
    "project_list_for_user",
    "waitlist_get_for_user",
    "waitlist_list_for_user",
    "waitlist_list_mine",
]
