"""Template filters of the portal: hours as people read them, the same on every database engine."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from scheduling.selectors.common import hours_str

register = template.Library()


@register.filter
def hours(value: Any) -> str:
    """Hours with two decimals (`69.76`): a sum that SQLite returns as `69.7600000000000` reads the same as on
    PostgreSQL. Anything that is not a number is shown as it is."""
    if value is None or value == "":
        return "\u2013"
    try:
        return hours_str(Decimal(str(value)))
    except InvalidOperation:
        return str(value)
