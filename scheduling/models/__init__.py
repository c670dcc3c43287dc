"""Backends, downtime, calibrations, projects, allocations, bookings, jobs and the waitlist."""

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
from scheduling.models.waitlist import WaitlistEntry

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
    "WaitlistEntry",
    "default_couplers",
    "default_native_gates",
    "default_qubits",
]
