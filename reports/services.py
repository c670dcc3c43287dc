"""Writes and workflows of the reports app: request, generate (idempotent), render, deliver, sweep, schedule."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import time
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Min, Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from core.queue import delay_after_commit
from reports.choices import ReportFormat, ReportKind, ReportStatus
from reports.kinds import REGISTRY, ReportKindBase, get_kind
from reports.metrics import rollups
from reports.models import JobRollupDay, Report
from reports.renderers.csv import render_csv
from reports.renderers.pdf import render_pdf

logger = logging.getLogger(__name__)

# A running report older than this is taken to be lost with its worker and is queued again.
STALE_AFTER = dt.timedelta(minutes=30)
MAX_ATTEMPTS = 3
# Fault-injection tests only: seconds to sleep between claiming a report and computing it.
TEST_DELAY_ENV = "QFR_TEST_REPORT_DELAY_S"
# A download that finds a report's files missing queues their rendering at most once in this many seconds.
FILES_RENDER_DEBOUNCE_S = 5 * 60
CONTENT_TYPES = {
    ReportFormat.JSON: "application/json",
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.PDF: "application/pdf",
}


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


@dataclass(frozen=True)
class ReportFile:
    """A download: the stored file (PDF, CSV) opened for reading, or the snapshot's bytes (JSON)."""

    content_type: str
    filename: str
    content: bytes | None = None
    stored: File[bytes] | None = None

    def read(self) -> bytes:
        """The whole file, the stored one closed afterwards (downloads stream it instead)."""
        if self.stored is None:
            return self.content or b""
        with self.stored:
            return bytes(self.stored.read())


def _report_filename(report: Report, fmt: str) -> str:
    stem = get_kind(report.kind).filename_stem(report.params, report.snapshot)
    return f"{stem}-{report.pk}.{fmt}"


def _pdf_context(report: Report) -> dict[str, Any]:
    spec = get_kind(report.kind)
    snapshot = report.snapshot or {}
    tz_name = snapshot.get("time_zone") or settings.DEFAULT_USER_TIME_ZONE
    finished = report.finished_at or timezone.now()
    return {
        "report": report,
        "title": spec.title,
        "snapshot": snapshot,
        "definitions": spec.definitions,
        "time_zone": tz_name,
        "generated_local": timezone.localtime(finished, ZoneInfo(tz_name)).strftime("%Y-%m-%d %H:%M"),
        **spec.pdf_context(snapshot),
    }


def _files_render(report: Report) -> dict[str, bytes]:
    """The PDF (in the requester's language) and the CSV of the report's snapshot."""
    assert report.snapshot is not None
    spec = get_kind(report.kind)
    language = report.requester.language if report.requester else settings.LANGUAGE_CODE
    with translation.override(language):
        pdf = render_pdf(spec.template, _pdf_context(report))
    return {ReportFormat.PDF: pdf, ReportFormat.CSV: render_csv(spec.tidy_rows(report.snapshot))}


def _stored_files(report: Report) -> dict[str, FieldFile]:
    return {ReportFormat.PDF: report.pdf, ReportFormat.CSV: report.csv}


def _files_store(report: Report, files: dict[str, bytes]) -> None:
    """Store the files under the report's fixed names (`report.pdf`/`report.csv` then hold them; not saved).

    A file already under that name is a leftover of an earlier run of this report that never finished (only
    the run holding the claim writes): it is replaced, so running again never leaves a second copy. Two
    renderings of an older report's files racing (report_files_render holds no claim; downloads queue it once
    per few minutes) can at worst leave a recorded file missing, which the next download queues again.
    """
    for fmt, field in _stored_files(report).items():
        filename = _report_filename(report, fmt)
        name = field.field.generate_filename(report, filename)
        if field.storage.exists(name):
            field.storage.delete(name)
        field.save(filename, ContentFile(files[fmt]), save=False)


def _files_delete(report: Report) -> None:
    """Remove what a failed run stored (best effort: the report fails with its own error either way)."""
    for field in _stored_files(report).values():
        if field.name:
            with contextlib.suppress(OSError):
                field.storage.delete(field.name)


def _is_stored(field: FieldFile) -> bool:
    return field.name is not None and field.name != "" and field.storage.exists(field.name)


def report_files_render(*, report_id: int) -> bool:
    """Render and store the files of a succeeded report that lacks them (older reports, lost media).

    From the stored snapshot: nothing is computed again, so the numbers are those of the report. Idempotent:
    a report whose files are all there is left alone. Returns whether files were written.
    """
    report = Report.objects.select_related("requester").get(pk=report_id)
    if not report.is_ready or all(_is_stored(f) for f in _stored_files(report).values()):
        return False
    _files_store(report, _files_render(report))
    Report.objects.filter(pk=report_id).update(pdf=report.pdf.name, csv=report.csv.name)
    return True


def report_ids_without_files() -> list[int]:
    """Succeeded reports whose PDF or CSV is not in storage (made before reports stored files, or media lost)."""
    reports = Report.objects.filter(status=ReportStatus.SUCCEEDED, snapshot__isnull=False).only("pk", "pdf", "csv")
    return [r.pk for r in reports.order_by("pk").iterator() if not all(map(_is_stored, _stored_files(r).values()))]


def report_pdf_get(*, report: Report) -> bytes:
    """The stored PDF's bytes; for tasks and tools (e-mail, bench): a report without one has it rendered first."""
    if not _is_stored(report.pdf):
        report_files_render(report_id=report.pk)
        report.refresh_from_db(fields=["pdf", "csv"])
    with report.pdf.open("rb") as stored:
        return bytes(stored.read())


def report_file_get(*, report: Report, fmt: str) -> ReportFile:
    """The report in `fmt` (json, csv, pdf), never rendered here; `report_not_ready` until it can be served.

    PDF and CSV are the files the task stored. A succeeded report without them (made before reports stored
    their files, or whose media was lost) queues their rendering and answers `report_not_ready` meanwhile:
    a web request never spends the seconds a PDF takes.
    """
    if not report.is_ready:
        raise DomainError(
            _("The report is not ready: it is %(status)s.") % {"status": report.get_status_display()},
            code="report_not_ready",
            status=report.status,
        )
    assert report.snapshot is not None
    if fmt == ReportFormat.JSON:
        content = json.dumps(report.snapshot, ensure_ascii=False, indent=2).encode("utf-8")
        return ReportFile(
            content_type=CONTENT_TYPES[ReportFormat.JSON], filename=_report_filename(report, fmt), content=content
        )
    if fmt not in (ReportFormat.CSV, ReportFormat.PDF):
        raise ValidationError({"format": [_("Choose json, csv or pdf.")]})
    field = _stored_files(report)[fmt]
    try:
        if not field.name:
            raise FileNotFoundError(fmt)
        stored = field.storage.open(field.name, "rb")
    except FileNotFoundError:
        # Once per few minutes however often the client asks: each queued rendering would take its seconds again.
        if cache.add(f"reports:files-render:{report.pk}", 1, timeout=FILES_RENDER_DEBOUNCE_S):
            delay_after_commit(
                "reports.tasks.report_files_render_task",
                report.pk,
                refused=f"could not hand the rendering of report {report.pk}'s files to the broker",
            )
        raise DomainError(
            _("The report's files are being prepared: try again in a minute."),
            code="report_not_ready",
            status=report.status,
        ) from None
    return ReportFile(
        content_type=CONTENT_TYPES[ReportFormat(fmt)], filename=_report_filename(report, fmt), stored=stored
    )


def report_deliver(*, report_id: int) -> None:
    """E-mail the PDF of a succeeded report to its recipients, once."""
    report = Report.objects.select_related("requester").get(pk=report_id)
    if not report.is_ready or not report.email_to or report.delivered_at is not None:
        return
    pdf = report_pdf_get(report=report)
    subject = f"{get_kind(report.kind).title}: {_report_filename(report, 'pdf').removesuffix('.pdf')}"
    message = EmailMessage(
        subject=subject,
        body=_("The report is attached as a PDF."),
        to=list(report.email_to),
    )
    message.attach(_report_filename(report, "pdf"), pdf, "application/pdf")
    message.send()
    Report.objects.filter(pk=report_id).update(delivered_at=timezone.now())


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


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
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
            start, end = previous_month(timezone.localtime(now, ZoneInfo(tz)).date())
            params = {"backend": backend.pk, "start": start.isoformat(), "end": end.isoformat(), "time_zone": tz}
            reports.append(report_request(kind=kind, params=params, requester=None, email_to=email_to))
    else:
        tz = time_zone or settings.DEFAULT_USER_TIME_ZONE
        start, end = previous_month(timezone.localtime(now, ZoneInfo(tz)).date())
        params = {"start": start.isoformat(), "end": end.isoformat(), "time_zone": tz}
        reports.append(report_request(kind=kind, params=params, requester=None, email_to=email_to))
    return reports


def job_days_seal() -> dict[str, int]:
    """Seal every day that can be sealed on every backend (nightly): reports then read those days' rollups.

    Idempotent: a day already sealed is left alone (and checked for jobs inserted into it since).
    Returns the number of sealed days per backend.
    """
    from scheduling.models import Backend, Job

    sealed: dict[str, int] = {}
    today = timezone.now().astimezone(dt.UTC).date()
    for backend in Backend.objects.order_by("name"):
        oldest = Job.objects.filter(backend=backend, started_at__isnull=False).aggregate(oldest=Min("started_at"))
        if oldest["oldest"] is None:
            continue
        first = oldest["oldest"].astimezone(dt.UTC).date()
        sealed[backend.name] = len(rollups.sealed_days(backend=backend, first=first, last=today))
    return sealed


def job_days_reseal(*, backend_name: str, first: dt.date, last: dt.date) -> int:
    """Drop the sealed days `[first, last)` of a backend and seal them again from the jobs; the days sealed.

    For repairs only: the application never changes a finished job, but a correction made directly in the
    database (not an insert, which the watermark notices) would otherwise stay invisible to reports.
    """
    from scheduling.models import Backend

    if first >= last:
        raise ValidationError(_("The first day must come before the last."))
    backend = Backend.objects.filter(name=backend_name).first()
    if backend is None:
        raise ValidationError(_("There is no backend “%(name)s”.") % {"name": backend_name})
    with transaction.atomic():
        JobRollupDay.objects.filter(backend=backend, day__gte=first, day__lt=last).delete()
        return len(rollups.sealed_days(backend=backend, first=first, last=last))


# Old name, still used by reports/api.py until its rewrite imports the new one.
report_file = report_file_get
