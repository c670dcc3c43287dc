"""Error codes the accounts app answers (API.md)."""

from accounts.lockout import LOCKOUT_CODE
from core.errors import error_codes_declare

ERROR_CODES = {
    LOCKOUT_CODE: 429,  # the sign-in lockout (accounts.lockout)
}
error_codes_declare(ERROR_CODES)
