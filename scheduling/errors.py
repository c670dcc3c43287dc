"""Error codes the scheduling app raises (API.md)."""

from core.errors import error_codes_declare

ERROR_CODES = {
    "booking_conflict": 409,
    "maintenance_conflict": 409,
    "allocation_exceeded": 409,
    "policy_violation": 400,
    "not_member": 403,
    "not_cancellable": 409,
    "no_active_booking": 409,
    "invalid_circuit": 400,
    "job_not_finished": 409,
    "queue_full": 409,
    "exceeds_booking": 409,
}
error_codes_declare(ERROR_CODES)
