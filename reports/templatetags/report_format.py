"""Template filters for report PDFs: seconds as hours, fractions as percent, nulls as a dash."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()
DASH = "\u2013"  # an en dash: "no value", never 0


@register.filter
def hours(seconds: Any) -> str:
    """Seconds as hours with two decimals ("12.50")."""
    if seconds is None or seconds == "":
        return DASH
    return f"{float(seconds) / 3600:,.2f}"


@register.filter
def pct(fraction: Any) -> str:
    """A fraction as a percentage ("91.67 %"); null stays a dash, never 0."""
    if fraction is None or fraction == "":
        return DASH
    return f"{float(fraction) * 100:.2f} %"


@register.filter
def number(value: Any) -> str:
    if value is None or value == "":
        return DASH
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


@register.filter
def get(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def share(part: Any, whole: Any) -> str:
    """`part / whole` as a percentage; a dash when the whole is empty."""
    if part is None or not whole:
        return DASH
    return f"{float(part) / float(whole) * 100:.2f} %"
