"""Database helpers shared by the apps' models."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


def in_choices(field: str, choices: type[models.TextChoices]) -> Q:
    """The condition of a check constraint that keeps `field` to the values of `choices`."""
    return Q(**{f"{field}__in": choices.values})
