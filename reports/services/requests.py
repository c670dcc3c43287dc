"""Requesting, generating (idempotent), re-queuing and scheduling reports."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from core.queue import delay_after_commit
from reports.choices import ReportKind, ReportStatus
from reports.kinds import REGISTRY, ReportKindBase, get_kind
from reports.models import Report
from reports.services.files import _files_delete, _files_render, _files_store, report_deliver

logger = logging.getLogger("reports.services")  # the name it had before the split

# A running report older than this is taken to be lost with its worker and is queued again.
STALE_AFTER = dt.timedelta(minutes=30)
MAX_ATTEMPTS = 3
# Fault-injection tests only: seconds to sleep between claiming a report and computing it.
TEST_DELAY_ENV = "QFR_TEST_REPORT_DELAY_S"


def report_kind_clean(*, kind: str, params: Any) -> tuple[ReportKindBase, dict[str, Any]]:
    """The kind and its validated parameters; ValidationError on `kind` or on the parameter's own name."""
    if kind not in REGISTRY:
        raise ValidationError({"kind": [_("Unknown report kind “%(kind)s”.") % {"kind": kind}]})
    spec = get_kind(kind)
    return spec, spec.clean_params(params if params is not None else {})


def _enqueue(report_id: int) -> None:
    # A refused hand-over is only logged: the row is committed and report_requeue_stale queues it again later.
    delay_after_commit(
        "reports.tasks.report_generate_task",
        report_id,
        refused=f"could not hand report {report_id} to the broker; the sweeper will queue it again",
    )


@transaction.atomic
def report_request(*, kind: str, params: Any, requester: User | None, email_to: list[str] | None = None) -> Report:
    """Validate, check the requester may ask for this report, store a pending row and queue its generation."""
    spec, cleaned = report_kind_clean(kind=kind, params=params)
    if requester is not None and not spec.can_request(requester, cleaned):
        if kind == ReportKind.PROJECT_USAGE:  # open to the project's members: say why this one is refused
            raise DomainError(_("You are not a member of this project."), code="not_member")
        raise PermissionDenied(_("You may not request this report."))
    report = Report(kind=kind, params=cleaned, requester=requester, email_to=list(email_to or []))
    report.full_clean()
    report.save()
    _enqueue(report.pk)
    return report


def _test_delay() -> None:
    delay = os.environ.get(TEST_DELAY_ENV)
    if delay:
        time.sleep(float(delay))


def _readable(exc: BaseException) -> str:
    """A sentence for the `error` field: what went wrong, without a traceback."""
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    if isinstance(exc, ObjectDoesNotExist):
        return _("A record the report needs no longer exists: %(error)s") % {"error": exc}
    if isinstance(exc, ImportError):
        return _("This report needs a part of the system that is not installed yet: %(error)s") % {"error": exc}
    return f"{type(exc).__name__}: {exc}"


def report_generate(*, report_id: int, redelivered: bool = False) -> bool:
    """Compute a pending report's snapshot, render and store its files. Idempotent: only the claimer runs it.

    Not one transaction: progress must be visible to readers while the computation runs.
    `redelivered`: the broker handed the message back because the worker that held it was lost; that
    delivery takes over a report left running (the lost run can no longer finish it: it ends by a
    compare-and-set on its own `started_at`). The report succeeds only once its PDF and CSV are stored;
    a rendering that fails fails the report. Returns whether this call did the work.
    """
    started = timezone.now()
    claimable = Q(status=ReportStatus.PENDING)
    if redelivered:
        claimable |= Q(status=ReportStatus.RUNNING)
    claimed = Report.objects.filter(claimable, pk=report_id).update(
        status=ReportStatus.RUNNING, started_at=started, progress=0, error="", attempts=F("attempts") + 1
    )
    if not claimed:
        return False  # a duplicate message, or a report someone else finished
    _test_delay()
    report = Report.objects.select_related("requester").get(pk=report_id)
    running = Report.objects.filter(pk=report_id, status=ReportStatus.RUNNING, started_at=started)

    def progress(percent: int) -> None:
        running.update(progress=max(0, min(99, int(percent))))

    def fail(error: str) -> bool:
        running.update(status=ReportStatus.FAILED, error=error, finished_at=timezone.now())
        return True

    try:
        # The computation's own 0-100 takes the first 80 %: rendering the files is the rest.
        snapshot = get_kind(report.kind).compute(report.params, lambda percent: progress(percent * 80 // 100))
        # Round-trip through JSON now, so that a value JSON cannot hold fails the report, not the save.
        snapshot = json.loads(json.dumps(snapshot))
    except Exception as exc:
        logger.exception("report %s failed", report_id)
        return fail(_readable(exc))
    report.snapshot, report.finished_at = snapshot, timezone.now()
    try:
        files = _files_render(report)
    except Exception as exc:
        logger.exception("report %s: rendering its files failed", report_id)
        return fail(_("The report's files could not be rendered: %(error)s") % {"error": _readable(exc)})
    progress(95)
    try:
        _files_store(report, files)
    except Exception as exc:
        logger.exception("report %s: storing its files failed", report_id)
        _files_delete(report)
        return fail(_("The report's files could not be stored: %(error)s") % {"error": _readable(exc)})
    updated = running.update(
        status=ReportStatus.SUCCEEDED,
        snapshot=snapshot,
        pdf=report.pdf.name,
        csv=report.csv.name,
        progress=100,
        finished_at=report.finished_at,
    )
    # A run that lost its claim leaves the files alone: the run that took over writes the same names.
    if updated and report.email_to:
        report_deliver(report_id=report_id)
    return True


def report_requeue_stale(*, older_than: dt.timedelta = STALE_AFTER) -> list[int]:
    """Queue again reports stuck in `running` (worker lost) or `pending` (message lost); give up after a few tries."""
    cutoff = timezone.now() - older_than
    requeued: list[int] = []
    stuck = Report.objects.filter(
        Q(status=ReportStatus.RUNNING, started_at__lt=cutoff) | Q(status=ReportStatus.PENDING, created_at__lt=cutoff)
    ).values_list("pk", "status", "started_at", "attempts")
    for pk, status, started_at, attempts in stuck:
        row = Report.objects.filter(pk=pk, status=status, started_at=started_at)  # compare-and-set
        if attempts >= MAX_ATTEMPTS:
            row.update(
                status=ReportStatus.FAILED,
                finished_at=timezone.now(),
                error=_("Gave up after %(n)d attempts: the worker was lost each time.") % {"n": attempts},
            )
            continue
        with transaction.atomic():
            if status == ReportStatus.RUNNING and not row.update(status=ReportStatus.PENDING, progress=0):
                continue
            _enqueue(pk)
        requeued.append(pk)
    return requeued


def report_period_previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """`[first of last month, first of this month)`."""
    first = today.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1), first


def report_request_monthly(*, kind: str, time_zone: str | None = None, now: dt.datetime | None = None) -> list[Report]:
    """The scheduled reports for the previous month (site time), e-mailed to `REPORTS_EMAIL_TO`.

    Utilization: one report per backend, each in its site's time zone. Office activity: one for all offices.
    """
    from scheduling.models import Backend

    now = now or timezone.now()
    email_to = list(getattr(settings, "REPORTS_EMAIL_TO", []))
    reports = []
    if kind == ReportKind.UTILIZATION:
        for backend in Backend.objects.select_related("site").order_by("name"):
            tz = time_zone or backend.site.time_zone
            start, end = report_period_previous_month(timezone.localtime(now, ZoneInfo(tz)).date())
            params = {"backend": backend.pk, "start": start.isoformat(), "end": end.isoformat(), "time_zone": tz}
            reports.append(report_request(kind=kind, params=params, requester=None, email_to=email_to))
    else:
        tz = time_zone or settings.DEFAULT_USER_TIME_ZONE
        start, end = report_period_previous_month(timezone.localtime(now, ZoneInfo(tz)).date())
        params = {"start": start.isoformat(), "end": end.isoformat(), "time_zone": tz}
        reports.append(report_request(kind=kind, params=params, requester=None, email_to=email_to))
    return reports
