"""Backends, downtime, calibrations, projects, allocations, bookings and jobs."""

from scheduling.models.backends import (
    MAX_SHOTS,
    NATIVE_GATES,
    STAR_COUPLERS,
    STAR_QUBITS,
    Backend,
    BookingPolicy,
    CalibrationRecord,
    MaintenanceWindow,
    Outage,
    default_couplers,
    default_native_gates,
    default_qubits,
)
from scheduling.models.bookings import Booking, Job
from scheduling.models.projects import Allocation, Membership, Project

__all__ = [
    "MAX_SHOTS",
    "NATIVE_GATES",
    "STAR_COUPLERS",
    "STAR_QUBITS",
    "Allocation",
    "Backend",
    "Booking",
    "BookingPolicy",
    "CalibrationRecord",
    "Job",
    "MaintenanceWindow",
    "Membership",
    "Outage",
    "Project",
    "default_couplers",
    "default_native_gates",
    "default_qubits",
]
