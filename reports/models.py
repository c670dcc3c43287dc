"""Report requests: one row per request holds its parameters, progress, snapshot and rendered files."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from reports.choices import ReportKind, ReportStatus


def report_pdf_path(report: Report, filename: str) -> str:
    """Where a report's stored files go (its PDF and CSV alike; the name predates the CSV)."""
    return f"reports/{report.created_at:%Y/%m}/{filename}"


class Report(models.Model):
    """A requested report: the Celery task computes its snapshot once and renders its PDF and CSV files from it."""

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
    csv = models.FileField(_("CSV"), upload_to=report_pdf_path, blank=True, max_length=300)
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


class JobRollupDay(models.Model):
    """A sealed UTC day of one backend: every job started in it has finished, so what they add up to is final.

    Its rollups (below) are written with it in one transaction and dropped with it. `job_watermark` is the
    highest job id when the day was sealed or last checked: a job inserted later with a start in this day
    (an import, demo data) has a higher id, and the day is then dropped and sealed again.
    """

    backend = models.ForeignKey(
        "scheduling.Backend", on_delete=models.PROTECT, related_name="+", verbose_name=_("backend")
    )
    day = models.DateField(_("day (UTC)"))
    job_watermark = models.BigIntegerField(_("highest job id checked"))
    sealed_at = models.DateTimeField(_("sealed at"))

    class Meta:
        verbose_name = _("sealed job day")
        verbose_name_plural = _("sealed job days")
        constraints = [models.UniqueConstraint(fields=["backend", "day"], name="jobrollupday_one_per_backend_day")]

    def __str__(self) -> str:
        return f"{self.backend_id} {self.day}"


class JobRollup(models.Model):
    """The jobs of one sealed day, booking, project and user: counts, sums, first start and last end."""

    sealed_day = models.ForeignKey(JobRollupDay, on_delete=models.CASCADE, related_name="groups")
    booking = models.ForeignKey("scheduling.Booking", on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey("scheduling.Project", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    jobs = models.PositiveIntegerField()
    failed = models.PositiveIntegerField()
    shots = models.BigIntegerField()
    qpu_seconds = models.FloatField()
    first_start = models.DateTimeField()
    last_end = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sealed_day", "booking", "project", "user"], name="jobrollup_one_per_day_group"
            ),
            models.CheckConstraint(condition=Q(jobs__gte=1) & Q(failed__lte=F("jobs")), name="jobrollup_counts"),
            models.CheckConstraint(condition=Q(last_end__gte=F("first_start")), name="jobrollup_span_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.sealed_day}: booking {self.booking_id}, {self.jobs} jobs"


class JobWaitRollup(models.Model):
    """How many jobs of one sealed day waited a given number of whole seconds (the wait histogram)."""

    sealed_day = models.ForeignKey(JobRollupDay, on_delete=models.CASCADE, related_name="waits")
    wait_seconds = models.FloatField()
    jobs = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sealed_day", "wait_seconds"], name="jobwaitrollup_one_per_day_wait"),
            models.CheckConstraint(condition=Q(jobs__gte=1), name="jobwaitrollup_counts"),
        ]

    def __str__(self) -> str:
        return f"{self.sealed_day}: {self.jobs} jobs waited {self.wait_seconds} s"
