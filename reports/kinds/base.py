"""What every report kind provides: parameter validation, permission, computation and its renderings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.validators import validate_time_zone
from reports.access import report_kinds_requestable
from reports.labels import metric_label
from reports.renderers.csv import Row

ProgressFn = Callable[[int], None]
MAX_PERIOD_DAYS = 3 * 366


class ReportKindBase:
    """A report kind: a small module's worth of rules; the reports app supplies the machinery around it."""

    kind: ClassVar[str]
    title: ClassVar[str | Promise]
    template: ClassVar[str]
    form_class: ClassVar[type[forms.Form]]
    definitions: ClassVar[list[tuple[str | Promise, str | Promise]]] = []

    def clean_params(self, params: Any) -> dict[str, Any]:
        """Validated, JSON-safe parameters with defaults filled in; ValidationError by field otherwise."""
        if not isinstance(params, dict):
            raise ValidationError({"params": [_("Parameters must be a JSON object.")]})
        form = self.form_class(data=params)
        unknown = sorted(set(params) - set(form.fields))
        if unknown:
            raise ValidationError({name: [_("Unknown parameter.")] for name in unknown})
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        return self.normalize(form.cleaned_data)

    def normalize(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def can_request(self, user: User, params: dict[str, Any]) -> bool:
        """Staff whose area covers the kind (reports.access); kinds open to researchers override this."""
        return self.kind in report_kinds_requestable(user)

    def compute(self, params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
        raise NotImplementedError

    def filename_stem(self, params: dict[str, Any], snapshot: dict[str, Any] | None) -> str:
        parts = [self.kind.replace("_", "-")]
        parts += [str(params[k]) for k in ("start", "end") if params.get(k)]
        return "-".join(parts)

    def tidy_rows(self, snapshot: dict[str, Any]) -> Iterable[Row]:
        raise NotImplementedError

    def pdf_context(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        return {}


class PeriodForm(forms.Form):
    """`start` and `end` dates (end exclusive), read at local midnight in `time_zone`."""

    start = forms.DateField(input_formats=["%Y-%m-%d"])
    end = forms.DateField(input_formats=["%Y-%m-%d"])
    time_zone = forms.CharField(required=False, max_length=64, validators=[validate_time_zone])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date):
            if end <= start:
                self.add_error("end", _("The end date must be after the start date (the end is exclusive)."))
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error("end", _("A report covers at most three years."))
        return cleaned


def to_json(value: Any) -> Any:
    """Another app's selector output made JSON-safe: money objects, decimals, dates, model instances, lists."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_json(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if hasattr(value, "amount") and hasattr(value, "currency"):  # a Money value object
        return {"amount": str(value.amount), "currency": str(value.currency)}
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if hasattr(value, "_meta") and hasattr(value, "pk"):  # a model instance: its name and id
        return {"id": value.pk, "name": str(value)}
    if hasattr(value, "as_dict"):
        return to_json(value.as_dict())
    return str(value)


def flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys (`contract.value`), money as `{"amount", "currency"}` kept whole."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not {"amount", "currency"} <= set(value):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


PERCENT_SUFFIXES = ("_ratio", "_rate", "_share", "_compliance")


def _list_text(values: list[Any]) -> str:
    def one(v: Any) -> str:
        if isinstance(v, dict):
            label = v.get("title") or v.get("name") or v.get("code")
            return str(label) if label is not None else ", ".join(f"{k}={w}" for k, w in v.items())
        return str(v)

    return "; ".join(one(v) for v in values)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(Decimal(value))
        except InvalidOperation:
            return None
    return None


def generic_rows(section: str, dimension: str, key: str, row: dict[str, Any]) -> Iterable[Row]:
    """Every field of a flat-ish row: money in its currency, durations in hours, ratios in percent, text as is."""
    for name, value in flatten(row).items():
        number = _as_number(value)
        if isinstance(value, dict):
            yield Row(section, dimension, key, name, str(value.get("amount", "")), str(value.get("currency", "")))
        elif isinstance(value, list):
            yield Row(section, dimension, key, name, _list_text(value), "")
        elif isinstance(value, bool):
            yield Row(section, dimension, key, name, "true" if value else "false", "")
        elif value is None:
            yield Row(section, dimension, key, name, "", "")
        elif "_seconds" in name and number is not None:
            yield Row(section, dimension, key, name.replace("_seconds", "_hours"), f"{number / 3600:.2f}", "h")
        elif name.endswith(PERCENT_SUFFIXES) and number is not None:
            yield Row(section, dimension, key, name, f"{number * 100:.2f}", "%")
        elif isinstance(value, int):
            yield Row(section, dimension, key, name, str(value), "count")
        else:
            yield Row(section, dimension, key, name, str(value), "")


def records(rows: list[dict[str, Any]], heading: Callable[[dict[str, Any]], str]) -> list[dict[str, Any]]:
    """Each row as a small field/value table for the PDF (rows from other apps can be too wide for a page)."""
    result = []
    for row in rows:
        fields = [
            (metric_label(r.metric), r.value if r.unit in ("", "count") else f"{r.value} {r.unit}")
            for r in generic_rows("", "", "", row)
        ]
        result.append({"heading": heading(row), "fields": fields})
    return result
