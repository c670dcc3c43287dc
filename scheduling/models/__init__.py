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
from scheduling.models.bookings import MAX_BATCH_CIRCUITS, MAX_BATCH_SHOTS, Booking, Job, JobCircuit
from scheduling.models.projects import Allocation, Membership, Project

__all__ = [
    "MAX_BATCH_CIRCUITS",
    "MAX_BATCH_SHOTS",
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
    "JobCircuit",
    "MaintenanceWindow",
    "Membership",
    "Outage",
    "Project",
    "default_couplers",
    "default_native_gates",
    "default_qubits",
]
