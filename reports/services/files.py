"""A report's files: rendering and storing the CSV and PDF, serving them, e-mailing the PDF."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.mail import EmailMessage
from django.db.models.fields.files import FieldFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.queue import delay_after_commit
from reports.choices import ReportFormat, ReportStatus
from reports.kinds import get_kind
from reports.models import Report
from reports.renderers.csv import render_csv
from reports.renderers.pdf import render_pdf

# A download that finds a report's files missing queues their rendering at most once in this many seconds.
FILES_RENDER_DEBOUNCE_S = 5 * 60
CONTENT_TYPES = {
    ReportFormat.JSON: "application/json",
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.PDF: "application/pdf",
}


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
    """The PDF and the CSV of the report's snapshot, their labels in the requester's language."""
    assert report.snapshot is not None
    spec = get_kind(report.kind)
    language = report.requester.language if report.requester else settings.LANGUAGE_CODE
    with translation.override(language):
        pdf = render_pdf(spec.template, _pdf_context(report))
        csv = render_csv(spec.tidy_rows(report.snapshot))
    return {ReportFormat.PDF: pdf, ReportFormat.CSV: csv}


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
