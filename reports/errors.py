"""Error codes the reports app raises (API.md)."""

from core.errors import error_codes_declare

ERROR_CODES = {
    "report_not_ready": 409,
}
error_codes_declare(ERROR_CODES)
