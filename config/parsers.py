"""Request parsers. Kept apart from config/api.py: DRF resolves DEFAULT_PARSER_CLASSES while importing
rest_framework.views, so this module must not import it."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions, parsers


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
