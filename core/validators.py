"""Validators for values the apps store as plain strings."""

from functools import cache
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_time_zone(value: str) -> None:
    """Accept only IANA time zone names (`Asia/Seoul`)."""
    if value not in _time_zones():
        raise ValidationError(
            _("“%(value)s” is not an IANA time zone name."), code="invalid_time_zone", params={"value": value}
        )
