"""`office_activity`: per regional office and quarter, activities by kind, participants, support response times.

The figures come from `facility.selectors.office_operations_list_by_quarter(*, start, end, office=None)`,
imported when the report runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facility.models import RegionalOffice
from reports.kinds.base import PeriodForm, ProgressFn, ReportKindBase, generic_rows, records, to_json
from reports.renderers.csv import Row


class OfficeActivityForm(PeriodForm):
    office = forms.ModelChoiceField(queryset=RegionalOffice.objects.all(), required=False)


class OfficeActivityKind(ReportKindBase):
    kind = "office_activity"
    title = _("Office activity")
    template = "reports/generic.html"
    form_class = OfficeActivityForm
    definitions = [
        (_("Quarter"), _("Calendar quarters of the period, in the report's time zone.")),
        (_("Activities"), _("Trainings, workshops, site visits, meetings and support calls, counted by kind.")),
        (_("Participants"), _("Sum of the participants recorded on the activities.")),
        (
            _("Response times"),
            _("Work orders of the office: from opened to acknowledged, and from opened to resolved."),
        ),
    ]

    def normalize(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        office = cleaned.get("office")
        return {
            "start": cleaned["start"].isoformat(),
            "end": cleaned["end"].isoformat(),
            "office": office.pk if office else None,
            "time_zone": cleaned.get("time_zone") or settings.DEFAULT_USER_TIME_ZONE,
        }

    def compute(self, params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
        from facility.selectors import office_operations_list_by_quarter  # type: ignore[import-not-found,unused-ignore]

        office = RegionalOffice.objects.get(pk=params["office"]) if params.get("office") else None
        result = office_operations_list_by_quarter(
            start=dt.date.fromisoformat(params["start"]), end=dt.date.fromisoformat(params["end"]), office=office
        )
        progress(80)
        rows = to_json(result if isinstance(result, (list, tuple)) else [result])
        return {
            "start": params["start"],
            "end": params["end"],
            "time_zone": params["time_zone"],
            "office": str(office) if office else None,
            "generated_at": timezone.now().isoformat(),
            "rows": rows,
        }

    def tidy_rows(self, snapshot: dict[str, Any]) -> Iterator[Row]:
        for n, row in enumerate(snapshot["rows"]):
            if not isinstance(row, dict):
                row = {"value": row}
            yield from generic_rows("offices", "office_quarter", _row_key(row) or str(n + 1), row)

    def pdf_context(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        rows = [r if isinstance(r, dict) else {"value": r} for r in snapshot["rows"]]
        return {"sections": [{"title": _("Offices by quarter"), "records": records(rows, _row_key)}]}


def _row_key(row: dict[str, Any]) -> str:
    """ "Seoul 2026Q1": the office and the quarter of a row."""
    office = row.get("office")
    office_name = office.get("name") if isinstance(office, dict) else office
    return " ".join(str(x) for x in (office_name, row.get("quarter")) if x)
