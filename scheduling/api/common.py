"""Pieces shared by the scheduling API modules: UTC times, hours as strings, permissions."""

from __future__ import annotations

import datetime
from typing import Any

from rest_framework import serializers


class UtcDateTimeField(serializers.DateTimeField):
    """Accepts ISO 8601 with an offset; answers in UTC with `Z` whatever time zone the request activated."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", datetime.UTC)
        super().__init__(**kwargs)


class HoursField(serializers.DecimalField):
    """Hours as a decimal string with two places (`"1.50"`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)
