"""Domain errors: a rule of DESIGN.md refused a request. The API answers them as `{"detail", "code", ...}`."""

from __future__ import annotations

from typing import Any

# The status of every error code in API.md; codes not listed answer 409.
ERROR_STATUS: dict[str, int] = {
    "booking_conflict": 409,
    "maintenance_conflict": 409,
    "allocation_exceeded": 409,
    "policy_violation": 400,
    "not_member": 403,
    "not_cancellable": 409,
    "no_active_booking": 409,
    "invalid_circuit": 400,
    "job_not_finished": 409,
    "invalid_transition": 409,
    "payment_exceeds_contract": 409,
    "amendment_required": 409,
    "report_not_ready": 409,
    "broker_unavailable": 503,
    "office_has_open_work_orders": 409,
    "request_too_large": 413,
}


class DomainError(Exception):
    """A domain rule violation with a machine-readable code and extra fields for the response body."""

    def __init__(self, detail: str, *, code: str, status_code: int | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.status_code = status_code or ERROR_STATUS.get(code, 409)
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        """The response body."""
        return {"detail": self.detail, "code": self.code, **self.extra}
