"""API wiring shared by every app: pagination, the exception handler, request helpers."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.defaults import page_not_found
from django_filters.fields import IsoDateTimeField
from django_filters.filters import IsoDateTimeFilter
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset, as API.md asks of requests: a naive time is refused, never guessed."""

    default_error_messages = {
        "naive": _("Give the time with a UTC offset, e.g. 2026-03-02T09:00:00+09:00 or 2026-03-02T00:00:00Z."),
    }

    def enforce_timezone(self, value: datetime.datetime) -> datetime.datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class _UtcIsoDateTimeField(IsoDateTimeField):  # type: ignore[misc]  # django-filter ships no types
    def to_python(self, value: Any) -> datetime.datetime | None:
        result: datetime.datetime | None = super().to_python(value)
        if result is None:
            return None
        try:
            return result.astimezone(datetime.UTC)
        except OverflowError:
            raise DjangoValidationError(_("Datetime value out of range."), code="overflow") from None


class UtcIsoDateTimeFilter(IsoDateTimeFilter):  # type: ignore[misc]  # django-filter ships no types
    """An ISO 8601 query filter whose value reaches the database in UTC.

    Python accepts offsets up to 24 hours, PostgreSQL up to 16 (`-18:47` is a DataError there), and a time with no
    UTC equivalent (0001-01-01T00:00+05:00) overflows SQLite's conversion: both were 500s. In UTC, the first is
    fine and the second is refused with a 400.
    """

    field_class = _UtcIsoDateTimeField


# Ids are 64-bit integers in every database. A number filter on an id takes these bounds, so that a larger
# number answers 400 instead of overflowing the driver (SQLite raises OverflowError, a 500).
ID_FILTER_BOUNDS: dict[str, int] = {"min_value": -(2**63), "max_value": 2**63 - 1}


class StandardPagination(PageNumberPagination):
    """`?page=` and `?page_size=` (at most 500)."""

    page_size_query_param = "page_size"
    max_page_size = 500


def validation_error_body(exc: DjangoValidationError) -> dict[str, Any]:
    """A Django ValidationError in DRF's shape: `{"field": ["message", ...]}`."""
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Domain errors become `{"detail", "code", ...}`; Django validation errors become DRF-shaped 400s; Django's
    request limits (form fields over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields or files) answer 413 or 400 JSON
    instead of its HTML 400 page."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ProtectedError):
        return Response(
            {"detail": "This record is referenced by others and cannot be deleted.", "code": "protected"},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, RequestDataTooBig):  # the form fields of a multipart request over 1 MiB
        exc = DomainError(str(exc) or "The request's form fields are too large.", code="request_too_large")
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return Response({"detail": str(exc), "code": exceptions.ParseError.default_code}, status=400)
    if isinstance(exc, DjangoPermissionDenied):  # a service's refusal keeps its sentence
        exc = exceptions.PermissionDenied(*exc.args[:1])
    if isinstance(exc, Http404):  # get_object_or_404: answer DRF's NotFound, so the body carries its `code`
        exc = exceptions.NotFound(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException) and isinstance(response.data, dict):
        codes = exc.get_codes()
        if "detail" in response.data and "code" not in response.data and isinstance(codes, str):
            response.data["code"] = codes
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """`handler404`: a URL under /api/ that matches no route (`/api/v1/jobs/-1/`) answers API.md's JSON 404."""
    if request.path.startswith("/api/"):
        body = {"detail": str(exceptions.NotFound.default_detail), "code": exceptions.NotFound.default_code}
        return JsonResponse(body, status=status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception)
