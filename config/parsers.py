"""Request parsers and the upload size limit. Kept apart from config/api.py: DRF resolves DEFAULT_PARSER_CLASSES
while importing rest_framework.views, so this module must not import it."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions, parsers

from config.errors import DomainError


def upload_too_large() -> DomainError:
    """The 413 of a file part over MAX_UPLOAD_BYTES (API.md `request_too_large`)."""
    mb = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
    return DomainError(f"The file is larger than {mb} MB.", code="request_too_large")


class UploadSizeLimitHandler(FileUploadHandler):
    """First of the upload handlers of an API request: stops a file part that grows past MAX_UPLOAD_BYTES.

    The chunk that crosses the limit is never handed to the handlers after this one, so it is not stored; what
    they stored before is closed (a temporary file is deleted) by Django's parser when it stops, and the
    request answers 413 once the parser is done.
    """

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.limit: int = settings.MAX_UPLOAD_BYTES
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            # connection_reset: the rest of the body is not read either; the worker answers at once.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        return None  # the next handler builds the file

    def upload_complete(self) -> None:
        if self.exceeded:
            raise upload_too_large()


class _StrictDjangoMultiPartParser(DjangoMultiPartParser):
    """Refuse upload names with path components or control characters instead of silently trimming them."""

    def sanitize_file_name(self, file_name: str) -> str | None:
        raw = html.unescape(file_name)
        if "/" in raw or "\\" in raw or raw.strip() in {"", ".", ".."} or not raw.isprintable():
            raise MultiPartParserError(
                f"the file name {raw!r} is not allowed: give a plain name without folders or control characters"
            )
        return super().sanitize_file_name(file_name)


class StrictMultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser on the strict Django parser: a path in an upload name answers 400."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> parsers.DataAndFiles[Any, Any]:
        context = parser_context or {}
        request = context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        try:
            parser = _StrictDjangoMultiPartParser(
                meta, stream, request.upload_handlers, context.get("encoding", settings.DEFAULT_CHARSET)
            )
            data, files = parser.parse()
        except MultiPartParserError as exc:
            raise exceptions.ParseError(f"Multipart form parse error - {exc}") from exc
        return parsers.DataAndFiles(data, files)
