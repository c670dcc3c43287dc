"""Requests that reach the database while it is down answer 503 with a clear message, not a 500 page."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Seconds a client should wait before trying again: a database restart takes a few.
RETRY_AFTER_SECONDS = 5


class DatabaseUnavailableMiddleware:
    """Map the driver's connection errors (server restarting, connection lost) to 503 `database_unavailable`.

    A transaction that lost its connection did not commit. The connection the error broke is discarded
    at the end of the request (Django closes unusable connections; the pool replaces broken ones), so the
    next requests succeed as soon as the database is back, without a restart of the app.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # IntegrityError and friends are DatabaseErrors too, but not OperationalError: those stay 500s.
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable during %s %s: %s", request.method, request.path, exception)
        response = JsonResponse(
            {
                "detail": _("The database is unavailable at the moment; please try again in a few seconds."),
                "code": "database_unavailable",
            },
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
