"""Database helpers shared by the apps' models."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q


def in_choices(field: str, choices: type[models.TextChoices]) -> Q:
    """The condition of a check constraint that keeps `field` to the values of `choices`."""
    return Q(**{f"{field}__in": choices.values})


def fields_validate(instance: models.Model) -> None:
    """Validate the values of `instance` in Python, asking the database nothing.

    For a service on a hot path that has loaded every related object itself and checked its domain rules under a
    lock: `full_clean()` would add a query per relation (does it exist?) and one per check constraint (in a
    savepoint), all of which the database enforces again on INSERT. Field values (lengths, choices, validators)
    and the model's `clean()` are still checked here; constraints are left to the database.
    """
    relations = [field.name for field in instance._meta.concrete_fields if field.is_relation]
    instance.clean_fields(exclude=relations)
    instance.clean()


class JSONArrayAgg(models.Aggregate):
    """The values of an expression over a group as one JSON array (PostgreSQL `jsonb_agg`, SQLite
    `json_group_array`): e.g. a row's children as `JSONObject`s in the row's own query, with no query per row.
    The order of the array is not defined; sort it in Python."""

    function = "JSON_GROUP_ARRAY"
    name = "JSONArrayAgg"
    output_field = models.JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra_context)
