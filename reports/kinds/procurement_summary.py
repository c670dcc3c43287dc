"""`procurement_summary`: each contracting process's stage, values, payments and late milestones.

The figures come from `procurement.selectors.procurement_summary()` (a list of dicts, one per process),
imported when the report runs: reports reads procurement, never the other way round.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports.kinds.base import ProgressFn, ReportKindBase, generic_rows, records, to_json
from reports.renderers.csv import Row


class ProcurementSummaryForm(forms.Form):
    """No parameters: every process."""


class ProcurementSummaryKind(ReportKindBase):
    kind = "procurement_summary"
    title = _("Procurement summary")
    template = "reports/generic.html"
    form_class = ProcurementSummaryForm
    definitions = [
        (_("Stage"), _("The process's current workflow step (planning to completed, or cancelled/unsuccessful).")),
        (_("Values"), _("In the contract's currency and in KRW at the exchange rate recorded with each amount.")),
        (_("Paid vs contracted"), _("Sum of payments against the contract value after amendments.")),
        (_("Late milestones"), _("Milestones past their due date that are not met, or met after it.")),
    ]

    def normalize(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        return {}

    def compute(self, params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
        from procurement.selectors import procurement_summary  # type: ignore[import-not-found,unused-ignore]

        rows = to_json(list(procurement_summary()))
        progress(80)
        return {"generated_at": timezone.now().isoformat(), "processes": rows}

    def filename_stem(self, params: dict[str, Any], snapshot: dict[str, Any] | None) -> str:
        day = (snapshot or {}).get("generated_at", "")[:10]
        return f"procurement-summary-{day}" if day else "procurement-summary"

    def tidy_rows(self, snapshot: dict[str, Any]) -> Iterator[Row]:
        for n, row in enumerate(snapshot["processes"]):
            key = str(row.get("ocid") or row.get("id") or n + 1) if isinstance(row, dict) else str(n + 1)
            yield from generic_rows("processes", "process", key, row if isinstance(row, dict) else {"value": row})

    def pdf_context(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        rows = [r if isinstance(r, dict) else {"value": r} for r in snapshot["processes"]]

        def heading(row: dict[str, Any]) -> str:
            return " · ".join(str(row[k]) for k in ("ocid", "title") if row.get(k))

        return {"sections": [{"title": _("Contracting processes"), "records": records(rows, heading)}]}
