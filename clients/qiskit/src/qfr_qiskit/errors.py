"""Exceptions of the client: every refusal of the API becomes one, carrying the API's `code` and `detail`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qiskit.exceptions import QiskitError


class QFRError(QiskitError):  # type: ignore[misc]  # qiskit ships no type information
    """Base class of every error this package raises."""

    code: str = "error"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.detail} ({self.code})"


class APIError(QFRError):
    """The site refused a request: `status` (HTTP), `code` and `detail` as the API sent them, `body` whole."""

    def __init__(self, detail: str, *, code: str, status: int, body: Any = None) -> None:
        super().__init__(detail, code=code)
        self.status = status
        self.body = body if body is not None else {}

    def field(self, name: str) -> Any:
        """A further field of the error body (e.g. `remaining_seconds`), or None."""
        return self.body.get(name) if isinstance(self.body, dict) else None


class ValidationFailed(APIError):
    """400 with field errors (DRF shape): `errors` maps each field to its messages."""

    @property
    def errors(self) -> dict[str, Any]:
        return dict(self.body) if isinstance(self.body, dict) else {}


class AuthenticationFailed(APIError):
    """401: no token, or a token the site does not know."""


class PermissionDenied(APIError):
    """403: a resource this user may not use at all."""


class NotFound(APIError):
    """404: no such object, or one outside the user's projects."""


class Throttled(APIError):
    """429: too many requests; `retry_after` seconds to wait, when the site said."""


class ServerError(APIError):
    """5xx: the site could not answer (e.g. `database_unavailable`, `broker_unavailable`); try again later."""


class NotMember(PermissionDenied):
    """`not_member`: the user is not a member of the project."""


class BookingConflict(APIError):
    """`booking_conflict`: the time overlaps another booking; `conflicts` lists them."""

    @property
    def conflicts(self) -> list[dict[str, Any]]:
        return list(self.field("conflicts") or [])


class MaintenanceConflict(BookingConflict):
    """`maintenance_conflict`: the time overlaps maintenance or an ongoing outage; `conflicts` lists them."""


class AllocationExceeded(APIError):
    """`allocation_exceeded`: the project's allocation has fewer hours left than asked for."""


class PolicyViolation(APIError):
    """`policy_violation`: slot alignment, length, horizon, past start or the project's booking cap."""


class NotCancellable(APIError):
    """`not_cancellable`: the booking or job is past, finished or already cancelled."""


class NoActiveBooking(APIError):
    """`no_active_booking`: the project has no booking in progress or to come on the backend."""


class ExceedsBooking(APIError):
    """`exceeds_booking`: the job's estimated QPU time exceeds what remains of its booking."""

    @property
    def estimated_seconds(self) -> float | None:
        value = self.field("estimated_seconds")
        return None if value is None else float(value)

    @property
    def remaining_seconds(self) -> float | None:
        value = self.field("remaining_seconds")
        return None if value is None else float(value)


class QueueFull(APIError):
    """`queue_full`: the project already holds its policy's maximum of queued and running jobs (`limit`)."""

    @property
    def limit(self) -> int | None:
        value = self.field("limit")
        return None if value is None else int(value)


@dataclass(frozen=True)
class CircuitIssue:
    """One problem the site found in a submitted circuit; line and column are 1-based, `circuit` its index."""

    message: str
    line: int | None = None
    column: int | None = None
    circuit: int | None = None

    def __str__(self) -> str:
        where = [f"circuit {self.circuit}"] if self.circuit is not None else []
        if self.line is not None:
            where.append(f"line {self.line}" + (f", column {self.column}" if self.column is not None else ""))
        return f"{'; '.join(where)}: {self.message}" if where else self.message


class InvalidCircuit(APIError):
    """`invalid_circuit`: a circuit cannot run on the device; `issues` has each problem's line, column, circuit."""

    @property
    def issues(self) -> list[CircuitIssue]:
        issues = []
        for item in self.field("errors") or []:
            if isinstance(item, dict):
                issues.append(
                    CircuitIssue(
                        message=str(item.get("message", "")),
                        line=item.get("line"),
                        column=item.get("column"),
                        circuit=item.get("circuit"),
                    )
                )
        return issues

    @property
    def line(self) -> int | None:
        """Line of the first problem, when known."""
        return next((issue.line for issue in self.issues if issue.line is not None), None)

    @property
    def column(self) -> int | None:
        """Column of the first problem, when known."""
        return next((issue.column for issue in self.issues if issue.column is not None), None)

    @property
    def circuit(self) -> int | None:
        """Index (in the batch) of the first circuit with a problem, when known."""
        return next((issue.circuit for issue in self.issues if issue.circuit is not None), None)

    def __str__(self) -> str:
        issues = "; ".join(str(issue) for issue in self.issues)
        return f"{self.detail} ({self.code})" + (f": {issues}" if issues else "")


class JobNotFinished(APIError):
    """`job_not_finished`: the result was asked for before the job completed."""


class ReportNotReady(APIError):
    """`report_not_ready`: the report's file was asked for before the report succeeded."""


class SlotFree(APIError):
    """`slot_free`: a waitlist entry for a slot that is free now (book it instead)."""


class RequestTooLarge(APIError):
    """`request_too_large`: the request body is over the site's limit (1 MiB of JSON)."""


class JobFailed(QFRError):
    """A job ended without counts: failed, or cancelled. `code` is the job's `error_code` (e.g. `time_limit`)."""

    def __init__(self, detail: str, *, code: str, job_id: str, status: str) -> None:
        super().__init__(detail, code=code)
        self.job_id = job_id
        self.status = status


class JobTimeout(QFRError):
    """Waiting for a job or report took longer than the caller allowed."""

    code = "timeout"


BY_CODE: dict[str, type[APIError]] = {
    "not_member": NotMember,
    "booking_conflict": BookingConflict,
    "maintenance_conflict": MaintenanceConflict,
    "allocation_exceeded": AllocationExceeded,
    "policy_violation": PolicyViolation,
    "not_cancellable": NotCancellable,
    "no_active_booking": NoActiveBooking,
    "exceeds_booking": ExceedsBooking,
    "queue_full": QueueFull,
    "invalid_circuit": InvalidCircuit,
    "job_not_finished": JobNotFinished,
    "report_not_ready": ReportNotReady,
    "slot_free": SlotFree,
    "request_too_large": RequestTooLarge,
}
BY_STATUS: dict[int, type[APIError]] = {
    400: ValidationFailed,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    429: Throttled,
}


def error_from_response(status: int, body: Any, *, fallback_text: str = "") -> APIError:
    """The exception for an error answer: by the body's `code` first, then by the HTTP status."""
    code = body.get("code") if isinstance(body, dict) else None
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, str) or not detail:
        detail = _describe(body) or fallback_text or f"HTTP {status}"
    cls = BY_CODE.get(code) if isinstance(code, str) else None
    if cls is None:
        cls = ServerError if status >= 500 else BY_STATUS.get(status, APIError)
    if not isinstance(code, str) or not code:
        code = "invalid" if status == 400 else f"http_{status}"
    return cls(detail, code=code, status=status, body=body)


def _describe(body: Any) -> str:
    """A one-line summary of a DRF field-error body: `field: message; other: message`."""
    if not isinstance(body, dict):
        return ""
    parts = []
    for name, messages in body.items():
        if isinstance(messages, list):
            parts.append(f"{name}: {' '.join(str(m) for m in messages)}")
        else:
            parts.append(f"{name}: {messages}")
    return "; ".join(parts)
