"""The report kinds: one small module each; `get_kind()` looks one up by its name."""

from __future__ import annotations

from reports.choices import ReportKind
from reports.kinds.base import ReportKindBase
from reports.kinds.office_activity import OfficeActivityKind
from reports.kinds.procurement_summary import ProcurementSummaryKind
from reports.kinds.project_usage import ProjectUsageKind
from reports.kinds.utilization import UtilizationKind

REGISTRY: dict[str, ReportKindBase] = {
    ReportKind.UTILIZATION: UtilizationKind(),
    ReportKind.PROJECT_USAGE: ProjectUsageKind(),
    ReportKind.PROCUREMENT_SUMMARY: ProcurementSummaryKind(),
    ReportKind.OFFICE_ACTIVITY: OfficeActivityKind(),
}


def get_kind(kind: str) -> ReportKindBase:
    """The kind's module object; KeyError for an unknown kind."""
    return REGISTRY[kind]


__all__ = ["REGISTRY", "ReportKindBase", "get_kind"]
