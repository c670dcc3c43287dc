"""Number formatting shared by the snapshot builders: JSON-friendly, stable, never a float for a whole count."""

from __future__ import annotations

from decimal import Decimal


def num(value: float | int | Decimal | None) -> float | int | None:
    """Seconds for JSON: an int when whole, else rounded to milliseconds."""
    if value is None:
        return None
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else round(as_float, 3)


def ratio(numerator: float, denominator: float) -> float | None:
    """A ratio in [0, 1]; null (never 0) when there is nothing to divide by."""
    if not denominator:
        return None
    return round(numerator / denominator, 6)


def hours_str(value: Decimal | None) -> str:
    """Hours as a decimal string with two places ("1.50"), as API.md writes hours."""
    return f"{(value or Decimal(0)).quantize(Decimal('0.01'))}"
