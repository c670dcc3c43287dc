"""Writes and workflows of the scheduling app (re-exported for other apps and the portal)."""

from scheduling.services.backends import backend_create, backend_save, backend_update, booking_policy_update
from scheduling.services.bookings import (
    CancellationPreview,
    SeriesResult,
    booking_approve,
    booking_cancel,
    booking_cancel_preview,
    booking_create,
    booking_reject,
    booking_reminders_send,
    booking_series_create,
    booking_sweep,
)
from scheduling.services.calibrations import (
    calibration_create,
    calibration_create_default,
    calibration_data_default,
    calibration_validate,
)
from scheduling.services.downtime import (
    MaintenanceResult,
    maintenance_window_create,
    maintenance_window_preview,
    maintenance_window_save,
    maintenance_window_update,
    outage_create,
    outage_credit,
    outage_save,
    outage_update,
)
from scheduling.services.notifications import booking_notify
from scheduling.services.projects import (
    allocation_create,
    allocation_update,
    membership_add,
    project_create,
    project_update,
)

__all__ = [
    "CancellationPreview",
    "MaintenanceResult",
    "SeriesResult",
    "allocation_create",
    "allocation_update",
    "backend_create",
    "backend_save",
    "backend_update",
    "booking_approve",
    "booking_cancel",
    "booking_cancel_preview",
    "booking_create",
    "booking_notify",
    "booking_policy_update",
    "booking_reject",
    "booking_reminders_send",
    "booking_series_create",
    "booking_sweep",
    "calibration_create",
    "calibration_create_default",
    "calibration_data_default",
    "calibration_validate",
    "maintenance_window_create",
    "maintenance_window_preview",
    "maintenance_window_save",
    "maintenance_window_update",
    "membership_add",
    "outage_create",
    "outage_credit",
    "outage_save",
    "outage_update",
    "project_create",
    "project_update",
]
