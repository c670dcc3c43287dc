"""Helpers every facility service uses: assign allowed fields, validate, save."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def field_error(field: str, message: str, code: str) -> ValidationError:
    """A field error that keeps its code (a plain dict of messages would drop it)."""
    return ValidationError({field: ValidationError(message, code=code)})


def assign(instance: Any, fields: Mapping[str, object], allowed: frozenset[str]) -> None:
    """Set the allowed fields on `instance`; any other name is a validation error (nothing is set)."""
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(instance, name, value)


def save(instance: Any) -> None:
    instance.full_clean()
    instance.save()


def stored_value(instance: Any, field: str) -> Any:
    """The value of `field` in the database (None for an unsaved row)."""
    if instance.pk is None:
        return None
    return type(instance).objects.filter(pk=instance.pk).values_list(field, flat=True).first()
