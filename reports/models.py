"""Report requests: one row per request holds its parameters, progress, snapshot and rendered PDF."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reports.choices import ReportKind, ReportStatus


def report_pdf_path(report: Report, filename: str) -> str:
    return f"reports/{report.created_at:%Y/%m}/{filename}"


class Report(models.Model):
    """A requested report: the Celery task computes its snapshot once; JSON, CSV and PDF render from it."""

    kind = models.CharField(_("kind"), max_length=32, choices=ReportKind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("requested by"),
        help_text=_("Empty for scheduled reports."),
    )
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    snapshot = models.JSONField(_("snapshot"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to=report_pdf_path, blank=True, max_length=300)
    email_to = models.JSONField(_("e-mail to"), default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ReportKind.values), name="report_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ReportStatus.values), name="report_status_valid"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_at_most_100"),
        ]
        indexes = [models.Index(fields=["status", "started_at"]), models.Index(fields=["requester", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_ready(self) -> bool:
        return self.status == ReportStatus.SUCCEEDED and self.snapshot is not None
