"""Demo data of the reports app: last month's utilization of every backend and each project's usage.

Idempotent: a report is found by its kind and parameters first. The reports are computed here, synchronously,
from whatever the other apps' demo data holds, so they agree with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from reports.choices import ReportKind, ReportStatus
from reports.kinds import get_kind
from reports.models import Report
from reports.services import report_generate, report_period_previous_month
from scheduling.models import Backend, Project


def _ensure(kind: str, params: dict[str, Any], log: Callable[[str], object]) -> None:
    cleaned = get_kind(kind).clean_params(params)
    report = Report.objects.filter(kind=kind, params=cleaned).first()
    if report is None:
        report = Report.objects.create(kind=kind, params=cleaned)
    if report.status == ReportStatus.PENDING:
        report_generate(report_id=report.pk)
        report.refresh_from_db()
    log(f"  report #{report.pk} {kind} {cleaned.get('start')}..{cleaned.get('end')}: {report.status}")


def seed(log: Callable[[str], object]) -> None:
    """Last month's reports (site time), computed now."""
    log("reports:")
    now = timezone.now()
    for backend in Backend.objects.select_related("site").order_by("name"):
        start, end = report_period_previous_month(timezone.localtime(now, ZoneInfo(backend.site.time_zone)).date())
        _ensure(ReportKind.UTILIZATION, {"backend": backend.pk, "start": str(start), "end": str(end)}, log)
    start, end = report_period_previous_month(timezone.localtime(now, ZoneInfo(settings.DEFAULT_USER_TIME_ZONE)).date())
    for project in Project.objects.filter(active=True).order_by("code")[:5]:
        _ensure(ReportKind.PROJECT_USAGE, {"project": project.pk, "start": str(start), "end": str(end)}, log)
