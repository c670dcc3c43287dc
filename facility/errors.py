"""Error codes the facility app raises (API.md)."""

from core.errors import error_codes_declare

ERROR_CODES = {
    "invalid_transition": 409,
    "office_has_open_work_orders": 409,
}
error_codes_declare(ERROR_CODES)
