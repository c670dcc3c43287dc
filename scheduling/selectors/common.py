"""Small time helpers shared by the scheduling selectors and services."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
OUTAGE_LOOKAHEAD = datetime.timedelta(hours=1)  # an ongoing outage refuses bookings starting this soon


def iso_z(value: datetime.datetime | None) -> str | None:
    """A UTC ISO 8601 string ending in `Z` (as API.md asks for responses)."""
    if value is None:
        return None
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def hours_between(starts_at: datetime.datetime, ends_at: datetime.datetime) -> Decimal:
    """The length of `[starts_at, ends_at)` in hours, to the hundredth."""
    seconds = Decimal(int((ends_at - starts_at).total_seconds()))
    return (seconds / Decimal(3600)).quantize(CENT, rounding=ROUND_HALF_UP)


def hours_str(value: Decimal) -> str:
    """Hours as API.md's decimal string (`"1.50"`)."""
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def slot_floor(value: datetime.datetime, slot_minutes: int) -> datetime.datetime:
    """The start of the slot that contains `value` (slots are aligned to the UTC epoch)."""
    step = slot_minutes * 60
    seconds = int(value.timestamp())
    return datetime.datetime.fromtimestamp(seconds - seconds % step, tz=datetime.UTC)


def slot_ceil(value: datetime.datetime, slot_minutes: int) -> datetime.datetime:
    """The first slot boundary at or after `value`."""
    floor = slot_floor(value, slot_minutes)
    if floor == value:
        return floor
    return floor + datetime.timedelta(minutes=slot_minutes)


def on_slot_boundary(value: datetime.datetime, slot_minutes: int) -> bool:
    return value.microsecond == 0 and int(value.timestamp()) % (slot_minutes * 60) == 0
