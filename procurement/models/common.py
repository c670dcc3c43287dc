"""Helpers of the procurement models: money columns."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from procurement.choices import (
    Currency,
)
from procurement.money import Money


def money_or_none(minor: int | None, currency: str) -> Money | None:
    """A stored amount as `Money` (None when no amount is stored)."""
    return None if minor is None else Money.from_minor(minor, currency)


def currency_field() -> models.CharField[str, str]:
    """The ISO 4217 currency column that goes with every `*_minor` amount."""
    return models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.KRW)
