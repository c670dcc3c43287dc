"""Bookings of a backend's time, and the jobs run in them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.db import in_choices
from scheduling.choices import (
    BookingStatus,
    CancelReason,
    JobCancelReason,
    JobErrorCode,
    JobStatus,
)
from scheduling.models.backends import MAX_SHOTS, Backend, CalibrationRecord
from scheduling.models.projects import Allocation, Project

# The simulator's batch limits (scheduling.simulator), repeated so that models do not import Qiskit; a test checks
# that they agree.
MAX_BATCH_CIRCUITS = 500
MAX_BATCH_SHOTS = 1_000_000  # shots x circuits of one job


class Booking(models.Model):
    """A reservation of `[starts_at, ends_at)` on a backend for a project; charges its allocation."""

    backend = models.ForeignKey(Backend, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("backend"))
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("project"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("user")
    )
    allocation = models.ForeignKey(
        Allocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("allocation"),
    )
    starts_at = models.DateTimeField(_("start"))
    ends_at = models.DateTimeField(_("end"))
    purpose = models.CharField(_("purpose"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED
    )
    # Net hours this booking holds on its allocation (after refunds and outage credits).
    charged_hours = models.DecimalField(_("charged hours"), max_digits=8, decimal_places=2, default=Decimal("0"))
    credited_hours = models.DecimalField(
        _("hours credited for outages"), max_digits=8, decimal_places=2, default=Decimal("0")
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=12, choices=CancelReason.choices, blank=True)
    late_cancellation = models.BooleanField(_("late cancellation"), default=False)
    override_policy = models.BooleanField(_("recorded outside the policy"), default=False)
    series = models.UUIDField(_("series"), null=True, blank=True, db_index=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="booking_end_after_start"),
            models.CheckConstraint(condition=in_choices("status", BookingStatus), name="booking_status_valid"),
            models.CheckConstraint(
                condition=Q(cancel_reason="") | in_choices("cancel_reason", CancelReason),
                name="booking_cancel_reason_valid",
            ),
            models.CheckConstraint(condition=Q(charged_hours__gte=0), name="booking_charge_not_negative"),
            models.CheckConstraint(condition=Q(credited_hours__gte=0), name="booking_credit_not_negative"),
            models.CheckConstraint(
                condition=~Q(status=BookingStatus.CANCELLED) | Q(cancelled_at__isnull=False),
                name="booking_cancelled_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["backend", "starts_at", "ends_at"]),
            models.Index(fields=["project", "status", "starts_at"]),
            models.Index(fields=["status", "ends_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.project} on {self.backend} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def hours(self) -> Decimal:
        return Decimal((self.ends_at - self.starts_at).total_seconds()) / Decimal(3600)


class Job(models.Model):
    """One circuit or a batch (`circuits`) run on a backend within a booking, with its metered QPU time.

    `qasm` is the first circuit's source and `counts` its counts; depth, PRX and CZ counts sum over the circuits.
    """

    backend = models.ForeignKey(Backend, on_delete=models.PROTECT, related_name="jobs", verbose_name=_("backend"))
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="jobs", verbose_name=_("project"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jobs", verbose_name=_("user")
    )
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="jobs", verbose_name=_("booking"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    qasm = models.TextField(_("OpenQASM source"))
    shots = models.PositiveIntegerField(_("shots"), default=1000)
    seed = models.BigIntegerField(_("seed"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    submitted_at = models.DateTimeField(_("submitted at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    # The older, coarser field: `user` or `booking_ended` (an ended or cancelled booking); `error_code` says which.
    cancel_reason = models.CharField(
        _("cancellation reason"), max_length=16, choices=JobCancelReason.choices, blank=True
    )
    error_code = models.CharField(
        _("error code"), max_length=20, choices=JobErrorCode.choices, blank=True, default="", db_default=""
    )
    calibration = models.ForeignKey(
        CalibrationRecord,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="jobs",
        verbose_name=_("calibration used"),
    )
    depth = models.PositiveIntegerField(_("depth"), null=True, blank=True)
    prx_count = models.PositiveIntegerField(_("PRX gates"), null=True, blank=True)
    cz_count = models.PositiveIntegerField(_("CZ gates"), null=True, blank=True)
    counts = models.JSONField(_("counts"), null=True, blank=True)
    qpu_seconds = models.FloatField(_("metered QPU seconds"), null=True, blank=True)
    estimated_qpu_seconds = models.FloatField(_("estimated QPU seconds"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    enqueued_at = models.DateTimeField(_("handed to the broker at"), null=True, blank=True)
    # The Celery worker (`name@host`) running the job; its heartbeat (core.heartbeat) shows it is alive.
    worker = models.CharField(_("worker"), max_length=255, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        constraints = [
            models.CheckConstraint(condition=Q(shots__gte=1) & Q(shots__lte=MAX_SHOTS), name="job_shots_in_range"),
            models.CheckConstraint(condition=in_choices("status", JobStatus), name="job_status_valid"),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=F("submitted_at")),
                name="job_finished_after_submitted",
            ),
            models.CheckConstraint(
                condition=Q(started_at__isnull=True) | Q(started_at__gte=F("submitted_at")),
                name="job_started_after_submitted",
            ),
            models.CheckConstraint(
                condition=Q(qpu_seconds__isnull=True) | Q(qpu_seconds__gte=0), name="job_qpu_seconds_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(estimated_qpu_seconds__isnull=True) | Q(estimated_qpu_seconds__gte=0),
                name="job_estimate_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(error_code="") | in_choices("error_code", JobErrorCode), name="job_error_code_valid"
            ),
            models.CheckConstraint(
                condition=Q(error_code="") | Q(status__in=[JobStatus.FAILED, JobStatus.CANCELLED]),
                name="job_error_code_only_when_finished_badly",
            ),
        ]
        indexes = [
            models.Index(fields=["backend", "started_at"]),
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["booking", "status"]),
            models.Index(fields=["project", "backend", "status"]),
        ]

    def __str__(self) -> str:
        return self.name or f"job {self.pk}"


class JobCircuit(models.Model):
    """One circuit of a job (index 0 for a single circuit): its source, transpiled form and stats, and counts."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="circuits", verbose_name=_("job"))
    index = models.PositiveIntegerField(_("index"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    qasm = models.TextField(_("OpenQASM source"))
    depth = models.PositiveIntegerField(_("depth"), null=True, blank=True)
    prx_count = models.PositiveIntegerField(_("PRX gates"), null=True, blank=True)
    cz_count = models.PositiveIntegerField(_("CZ gates"), null=True, blank=True)
    duration_ns = models.FloatField(_("duration (ns)"), null=True, blank=True)
    # The transpiled circuit (QPY), so that the worker neither parses nor transpiles again.
    compiled = models.BinaryField(_("transpiled circuit (QPY)"), null=True, blank=True)
    seed = models.BigIntegerField(_("seed"), null=True, blank=True)
    counts = models.JSONField(_("counts"), null=True, blank=True)

    class Meta:
        ordering = ["job", "index"]
        verbose_name = _("job circuit")
        verbose_name_plural = _("job circuits")
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="job_circuit_index_unique"),
            models.CheckConstraint(condition=Q(index__lt=MAX_BATCH_CIRCUITS), name="job_circuit_index_in_range"),
            models.CheckConstraint(
                condition=Q(duration_ns__isnull=True) | Q(duration_ns__gte=0), name="job_circuit_duration_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"circuit {self.index}"
