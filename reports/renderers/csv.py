"""The CSV rendering: one tidy long table (section, dimension, key, metric, value, unit, label).

UTF-8 with a byte-order mark so that spreadsheets (Excel in particular) detect the encoding; durations in
hours and ratios in percent, as people read them, while the JSON keeps seconds and fractions. `metric` is the
machine name to compute on; `label` says it in words, in the requester's language.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from reports.labels import metric_label

HEADER = ("section", "dimension", "key", "metric", "value", "unit", "label")


class Row(NamedTuple):
    section: str
    dimension: str
    key: str
    metric: str
    value: str
    unit: str
    label: str = ""  # empty: the metric's own label (reports.labels), in the language the file is rendered in


def metric_rows(
    section: str, dimension: str, key: str, metrics: Mapping[str, Any], *, ratios: Iterable[str] = ()
) -> Iterator[Row]:
    """One row per numeric metric; `*_seconds` become hours, names in `ratios` become percent; a statistic of
    seconds (`wait_seconds_p50`) stays in seconds."""
    ratio_names = set(ratios)
    for name, value in metrics.items():
        if isinstance(value, (bool, dict, list)):
            continue
        if name.endswith("_seconds"):
            shown = "" if value is None else f"{float(value) / 3600:.2f}"
            yield Row(section, dimension, key, name.removesuffix("_seconds") + "_hours", shown, "h")
        elif name in ratio_names:
            shown = "" if value is None else f"{float(value) * 100:.2f}"
            yield Row(section, dimension, key, name, shown, "%")
        elif "_seconds_" in name:
            yield Row(section, dimension, key, name, "" if value is None else f"{float(value):g}", "s")
        elif name.endswith("_hours"):
            yield Row(section, dimension, key, name, "" if value is None else str(value), "h")
        elif isinstance(value, int):
            yield Row(section, dimension, key, name, str(value), "count")
        elif isinstance(value, float):
            yield Row(section, dimension, key, name, f"{value:g}", "")
        elif isinstance(value, str) and _is_number(value):
            yield Row(section, dimension, key, name, value, "")


def _is_number(value: str) -> bool:
    try:
        Decimal(value)
    except InvalidOperation:
        return False
    return value.strip() != ""


def render_csv(rows: Iterable[Row]) -> bytes:
    """The rows as CSV bytes: UTF-8 with BOM, CRLF line ends (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([*row[:6], row.label or metric_label(row.metric)] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
