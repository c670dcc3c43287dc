"""Request parsers and the upload size limit. Kept apart from config/api.py: DRF resolves DEFAULT_PARSER_CLASSES
while importing rest_framework.views, so this module must not import it."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions, parsers

from core.errors import DomainError

# The deepest JSON a request may carry: objects and lists inside one another, the body itself counting as one.
# The API's deepest body (a calibration's couplers, a tender's items) is 4 levels; 32 leaves room for free-form
# `params` without letting a client send 1 000 levels that some recursive code would fail on.
MAX_JSON_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


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


class StrictJSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing with a 400 what no serializer should see: lone surrogates and absurd nesting.

    A lone surrogate (`"\\ud800"`) is valid JSON but not Unicode text: echoed into an error message it could not
    be encoded (a 500), and no database stores it. Nesting deeper than MAX_JSON_DEPTH is refused before any
    recursive code meets it; nesting too deep for the JSON decoder itself (RecursionError) is refused the same way.
    """

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_too_deep()) from None
        check_json_value(data)
        return data


def _too_deep() -> str:
    return f"JSON parse error - the body is nested more than {MAX_JSON_DEPTH} levels deep."


def _where(path: tuple[str | int, ...]) -> str:
    if not path:
        return "the top level"
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return f"`{text}`"


def _check_text(text: str, path: tuple[str | int, ...], what: str) -> None:
    if text.isascii():
        return
    found = _SURROGATE.search(text)
    if found:
        raise exceptions.ParseError(
            f"JSON parse error - {what} at {_where(path)} contains a lone surrogate (\\u{ord(found.group()):04x}), "
            "which is not Unicode text; send text as valid UTF-8."
        )


def check_json_value(data: Any) -> None:
    """Raise ParseError if `data` (a decoded JSON document) holds a lone surrogate or is nested too deeply.

    Iterative, so that checking a deep document cannot itself run out of stack.
    """
    stack: list[tuple[Any, int, tuple[str | int, ...]]] = [(data, 1, ())]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, str):
            _check_text(value, path, "the string")
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise exceptions.ParseError(_too_deep())
            if isinstance(value, dict):
                for key, item in value.items():
                    _check_text(key, path, "a key")
                    stack.append((item, depth + 1, (*path, key)))
            else:
                stack.extend((item, depth + 1, (*path, index)) for index, item in enumerate(value))
