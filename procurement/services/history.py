"""The change history of procurement records (who, when, which object and field, old and new)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from accounts.models import User
from procurement.models import ChangeRecord, ContractingProcess
from procurement.money import Money

Changes = dict[str, tuple[Any, Any]]


def _json_value(value: Any) -> Any:
    """A JSON-safe form of a field value for the history (dates as ISO strings, Decimals as strings)."""
    if isinstance(value, Money):
        return value.as_dict()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _object_label(obj: models.Model) -> str:
    return f"{type(obj).__name__} #{obj.pk}"


def history_snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of `fields` of `obj` (foreign keys as ids)."""
    result: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        result[name] = getattr(obj, attname)
    return result


def history_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    return {key: (before.get(key), after[key]) for key in after if before.get(key) != after[key]}


def history_record(
    *,
    process: ContractingProcess,
    user: User | None,
    obj: models.Model,
    action: str,
    changes: Changes,
) -> list[ChangeRecord]:
    """Append one ChangeRecord per changed field (the caller's transaction makes them atomic with the change)."""
    now = timezone.now()
    records = [
        ChangeRecord(
            process=process,
            at=now,
            user=user,
            object_type=type(obj).__name__,
            object_id=obj.pk,
            object_repr=_object_label(obj),
            action=action,
            field=field,
            old=_json_value(old),
            new=_json_value(new),
        )
        for field, (old, new) in changes.items()
    ]
    return ChangeRecord.objects.bulk_create(records)


def history_created(
    *, process: ContractingProcess, user: User | None, obj: models.Model, fields: Iterable[str]
) -> list[ChangeRecord]:
    """History of a new record: every given field from None to its value."""
    values = history_snapshot(obj, fields)
    changes: Changes = {key: (None, value) for key, value in values.items() if value not in (None, "")}
    changes.setdefault("id", (None, obj.pk))
    return history_record(process=process, user=user, obj=obj, action="create", changes=changes)
