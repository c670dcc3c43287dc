"""Middleware of the API: request size limits before a body is read, and 503 while the database is down."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from typing import IO, Any

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream, WSGIRequest
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.permissions import SAFE_METHODS
from rest_framework.utils.mediatypes import media_type_matches

from core.errors import DomainError
from core.parsers import UploadSizeLimitHandler

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


# Content types Django itself parses into request.POST (the CSRF check reads it on a session-authenticated POST).
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_READ_CHUNK = 64 * 1024


def json_request_limit() -> int:
    """The most bytes a request body that is not an upload may have (API.md: 1 MiB)."""
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def upload_request_limit() -> int:
    """The most bytes a multipart request may have: one file of MAX_UPLOAD_BYTES plus its form fields."""
    return int(settings.MAX_UPLOAD_BYTES) + json_request_limit()


def _too_large(length: int | None, limit: int, multipart: bool) -> JsonResponse:
    what = _("an upload request (a file plus its form fields)") if multipart else _("a request body")
    rule = _("%(what)s may have at most %(limit)s bytes") % {"what": what, "limit": limit}
    if length is None:  # no Content-Length: more than the limit arrived
        detail = _("The request is too large: %(rule)s.") % {"rule": rule}
    else:
        detail = _("The request is too large: %(size)s bytes, and %(rule)s.") % {"size": length, "rule": rule}
    error = DomainError(detail, code="request_too_large")
    return JsonResponse(error.as_dict(), status=error.status_code)


def _content_length(meta: dict[str, Any]) -> int | None:
    """The declared length; None when absent or not a number (Django then reads nothing)."""
    try:
        return int(meta.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def _view_parsers(request: HttpRequest) -> list[Any] | None:
    """The parser classes of the DRF view the request goes to; None for a URL that is no DRF view."""
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return None
    view_class = getattr(match.func, "cls", None)
    if view_class is None:
        return None
    initkwargs: dict[str, Any] = getattr(match.func, "initkwargs", {})
    return list(initkwargs.get("parser_classes", view_class.parser_classes))


class RequestSizeLimitMiddleware:
    """Bound an API request before anything reads its body (DESIGN.md 5, API.md `request_too_large`).

    Runs before sessions, authentication and throttling, for anonymous clients too. A body that is not an upload
    may have DATA_UPLOAD_MAX_MEMORY_SIZE bytes (1 MiB), a multipart request MAX_UPLOAD_BYTES plus that. A declared
    Content-Length over the limit answers 413 without a byte read. A body without one (chunked), which the server
    marks as terminated, is read here up to the limit plus one byte: 413 if there is more, else the request goes on
    with that body. A multipart request gets UploadSizeLimitHandler first, which stops a file part over
    MAX_UPLOAD_BYTES before it is stored. A form body (multipart or URL-encoded) sent to a view that parses
    no form answers 415 here, so that not even the CSRF check of a session-authenticated POST parses it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith("/api/"):
            return self.get_response(request)
        spool: IO[bytes] | None = None
        try:
            refusal, spool = self._bound(request)
            if refusal is not None:
                return refusal
            return self.get_response(request)
        finally:
            if spool is not None:
                spool.close()

    def _bound(self, request: HttpRequest) -> tuple[HttpResponse | None, IO[bytes] | None]:
        content_type = request.META.get("CONTENT_TYPE", "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        multipart = media_type == "multipart/form-data"
        limit = upload_request_limit() if multipart else json_request_limit()
        length = _content_length(request.META)
        spool: IO[bytes] | None = None
        if length is not None and length > limit:
            return _too_large(length, limit, multipart), None
        if length is None and request.META.get("wsgi.input_terminated") and isinstance(request, WSGIRequest):
            spool = self._read_at_most(request, limit)
            if spool is None:
                return _too_large(None, limit, multipart), None
            length = _content_length(request.META)
        if length and request.method not in SAFE_METHODS and media_type in _FORM_TYPES:
            parsers = _view_parsers(request)
            if parsers is not None and not any(media_type_matches(p.media_type, content_type) for p in parsers):
                detail = str(UnsupportedMediaType(content_type).detail)
                return JsonResponse({"detail": detail, "code": "unsupported_media_type"}, status=415), spool
        if multipart:
            request.upload_handlers = [UploadSizeLimitHandler(request), *request.upload_handlers]
        return None, spool

    @staticmethod
    def _read_at_most(request: WSGIRequest, limit: int) -> IO[bytes] | None:
        """Read a body without a Content-Length, up to `limit` + 1 bytes; None if it is longer than `limit`."""
        source = request.environ["wsgi.input"]
        spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115  (closed by the middleware after the response)
            max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, dir=settings.FILE_UPLOAD_TEMP_DIR
        )
        size = 0
        while size <= limit:
            chunk = source.read(min(_READ_CHUNK, limit + 1 - size))
            if not chunk:
                break
            spool.write(chunk)
            size += len(chunk)
        if size > limit:
            spool.close()
            return None
        spool.seek(0)
        # Django and DRF read the body through `_stream` and size it by CONTENT_LENGTH: give them the bytes read.
        request._stream = LimitedStream(spool, size)  # type: ignore[arg-type,assignment]
        request.META["CONTENT_LENGTH"] = str(size)
        return spool


class PrivateApiCacheMiddleware:
    """`Cache-Control: private, no-store` on every /api/v1/ response.

    The API's answers are the caller's own data (or a token, or an error about them), so neither a shared
    cache nor the browser may keep them. The OpenAPI schema and the docs, outside /api/v1/, stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/v1/"):
            patch_cache_control(response, private=True, no_store=True)
        return response
