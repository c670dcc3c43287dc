"""Error codes the procurement app raises (API.md)."""

from core.errors import error_codes_declare

ERROR_CODES = {
    "invalid_transition": 409,
    "payment_exceeds_contract": 409,
    "amendment_required": 409,
}
error_codes_declare(ERROR_CODES)
