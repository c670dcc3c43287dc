"""Qiskit client of a Quantum Facility Records site: its backends as Qiskit backends, and REST helpers.

`QFRProvider(url="https://qfr.example.ac.kr", token="...").get_backend("spark").run(circuit).result()` gives
a Qiskit Result; see the package's README.
"""

from qfr_qiskit.backend import QFRBackend
from qfr_qiskit.client import QFRClient
from qfr_qiskit.errors import (
    AllocationExceeded,
    APIError,
    AuthenticationFailed,
    BookingConflict,
    CircuitIssue,
    ExceedsBooking,
    InvalidCircuit,
    JobFailed,
    JobNotFinished,
    JobTimeout,
    MaintenanceConflict,
    NoActiveBooking,
    NotCancellable,
    NotFound,
    NotMember,
    PermissionDenied,
    PolicyViolation,
    QFRError,
    QueueFull,
    ReportNotReady,
    RequestTooLarge,
    ServerError,
    SlotFree,
    Throttled,
    ValidationFailed,
)
from qfr_qiskit.job import QFRJob
from qfr_qiskit.provider import QFRProvider
from qfr_qiskit.target import build_target

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "AllocationExceeded",
    "AuthenticationFailed",
    "BookingConflict",
    "CircuitIssue",
    "ExceedsBooking",
    "InvalidCircuit",
    "JobFailed",
    "JobNotFinished",
    "JobTimeout",
    "MaintenanceConflict",
    "NoActiveBooking",
    "NotCancellable",
    "NotFound",
    "NotMember",
    "PermissionDenied",
    "PolicyViolation",
    "QFRBackend",
    "QFRClient",
    "QFRError",
    "QFRJob",
    "QFRProvider",
    "QueueFull",
    "ReportNotReady",
    "RequestTooLarge",
    "ServerError",
    "SlotFree",
    "Throttled",
    "ValidationFailed",
    "build_target",
]
