"""Domain errors: a rule of DESIGN.md refused a request. The API answers them as `{"detail", "code", ...}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

# Every error code the API answers, with its status. Each app declares the codes it raises in its own `errors`
# module (imported by its AppConfig.ready()) through `error_codes_declare`; these two are core's own. A code not
# declared answers 409.
ERROR_STATUS: dict[str, int] = {
    "request_too_large": 413,  # core.middleware, core.parsers
    "broker_unavailable": 503,  # core.queue: the broker refused a task
}


def error_codes_declare(codes: Mapping[str, int]) -> None:
    """Declare an app's error codes and their statuses; a code may be shared only with the same status."""
    for code, status in codes.items():
        if ERROR_STATUS.setdefault(code, status) != status:
            raise ImproperlyConfigured(f"error code {code!r} is declared with two statuses")


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
