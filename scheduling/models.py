"""Backends, downtime, calibrations, projects, allocations, bookings and jobs."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.db import in_choices
from scheduling.choices import (
    BackendStatus,
    BookingStatus,
    CancelReason,
    JobCancelReason,
    JobStatus,
    MaintenanceKind,
    MembershipRole,
    OutageSeverity,
)

STAR_QUBITS = ["QB1", "QB2", "QB3", "QB4", "QB5"]
STAR_COUPLERS = [["QB1", "QB3"], ["QB2", "QB3"], ["QB3", "QB4"], ["QB3", "QB5"]]
NATIVE_GATES = ["prx", "cz", "measure"]
MAX_SHOTS = 100_000


def default_qubits() -> list[str]:
    return list(STAR_QUBITS)


def default_couplers() -> list[list[str]]:
    return [list(pair) for pair in STAR_COUPLERS]


def default_native_gates() -> list[str]:
    return list(NATIVE_GATES)


class Backend(models.Model):
    """A bookable quantum processor (real or simulated) with its topology and timing profile."""

    name = models.SlugField(_("name"), max_length=50, unique=True)
    display_name = models.CharField(_("display name"), max_length=200)
    site = models.ForeignKey("facility.Site", on_delete=models.PROTECT, related_name="backends", verbose_name=_("site"))
    equipment = models.OneToOneField(
        "facility.Equipment", on_delete=models.PROTECT, related_name="backend", verbose_name=_("QPU equipment")
    )
    qubits = models.JSONField(_("qubits"), default=default_qubits)
    couplers = models.JSONField(_("couplers"), default=default_couplers)
    native_gates = models.JSONField(_("native gates"), default=default_native_gates)
    status = models.CharField(_("status"), max_length=12, choices=BackendStatus.choices, default=BackendStatus.ONLINE)
    # Timing profile: replace the defaults with the site's acceptance-test values.
    prx_ns = models.PositiveIntegerField(_("PRX duration (ns)"), default=120)
    cz_ns = models.PositiveIntegerField(_("CZ duration (ns)"), default=120)
    readout_ns = models.PositiveIntegerField(_("readout duration (ns)"), default=1500)
    rep_delay_us = models.PositiveIntegerField(_("repetition delay (µs)"), default=200)
    overhead_s = models.DecimalField(_("job overhead (s)"), max_digits=8, decimal_places=3, default=Decimal("2"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("backend")
        verbose_name_plural = _("backends")
        constraints = [
            models.CheckConstraint(condition=in_choices("status", BackendStatus), name="backend_status_valid"),
            models.CheckConstraint(condition=Q(overhead_s__gte=0), name="backend_overhead_not_negative"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def num_qubits(self) -> int:
        return len(self.qubits)


class BookingPolicy(models.Model):
    """The booking rules of one backend (DESIGN.md 3.4 defaults)."""

    backend = models.OneToOneField(Backend, on_delete=models.CASCADE, related_name="policy", verbose_name=_("backend"))
    slot_minutes = models.PositiveIntegerField(_("slot (minutes)"), default=15)
    min_minutes = models.PositiveIntegerField(_("shortest booking (minutes)"), default=15)
    max_minutes = models.PositiveIntegerField(_("longest booking (minutes)"), default=240)
    horizon_days = models.PositiveIntegerField(_("book at most this many days ahead"), default=28)
    free_cancel_hours = models.PositiveIntegerField(_("free cancellation until (hours before start)"), default=24)
    approval_over_minutes = models.PositiveIntegerField(
        _("approval needed over (minutes)"), null=True, blank=True, help_text=_("Empty: no approval needed.")
    )
    max_future_bookings = models.PositiveIntegerField(_("future bookings per project"), default=10)

    class Meta:
        verbose_name = _("booking policy")
        verbose_name_plural = _("booking policies")
        constraints = [
            models.CheckConstraint(condition=Q(slot_minutes__gt=0), name="policy_slot_positive"),
            models.CheckConstraint(condition=Q(min_minutes__gte=F("slot_minutes")), name="policy_min_at_least_slot"),
            models.CheckConstraint(condition=Q(max_minutes__gte=F("min_minutes")), name="policy_max_at_least_min"),
            models.CheckConstraint(condition=Q(horizon_days__gt=0), name="policy_horizon_positive"),
            models.CheckConstraint(condition=Q(max_future_bookings__gt=0), name="policy_cap_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.backend} policy"


class MaintenanceWindow(models.Model):
    """Planned downtime of a backend."""

    backend = models.ForeignKey(
        Backend, on_delete=models.PROTECT, related_name="maintenance_windows", verbose_name=_("backend")
    )
    starts_at = models.DateTimeField(_("start"))
    ends_at = models.DateTimeField(_("end"))
    kind = models.CharField(_("kind"), max_length=12, choices=MaintenanceKind.choices, default=MaintenanceKind.OTHER)
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    work_order = models.ForeignKey(
        "facility.WorkOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="maintenance_windows",
        verbose_name=_("work order"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="maintenance_end_after_start"),
            models.CheckConstraint(condition=in_choices("kind", MaintenanceKind), name="maintenance_kind_valid"),
        ]
        indexes = [models.Index(fields=["backend", "starts_at", "ends_at"])]

    def __str__(self) -> str:
        return self.title


class Outage(models.Model):
    """Unplanned downtime of a backend; `ends_at` is empty while it is ongoing."""

    backend = models.ForeignKey(Backend, on_delete=models.PROTECT, related_name="outages", verbose_name=_("backend"))
    starts_at = models.DateTimeField(_("start"))
    ends_at = models.DateTimeField(_("end"), null=True, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=OutageSeverity.choices)
    cause = models.TextField(_("cause"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    work_order = models.ForeignKey(
        "facility.WorkOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outages",
        verbose_name=_("work order"),
    )
    credited_at = models.DateTimeField(_("credited at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("outage")
        verbose_name_plural = _("outages")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")), name="outage_end_after_start"
            ),
            models.CheckConstraint(condition=in_choices("severity", OutageSeverity), name="outage_severity_valid"),
        ]
        indexes = [models.Index(fields=["backend", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} outage of {self.backend} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_ongoing(self) -> bool:
        return self.ends_at is None


class CalibrationRecord(models.Model):
    """Measured qubit and coupler quality; the latest record drives the simulator's noise."""

    backend = models.ForeignKey(
        Backend, on_delete=models.PROTECT, related_name="calibrations", verbose_name=_("backend")
    )
    measured_at = models.DateTimeField(_("measured at"))
    # Per qubit: qubit name, t1_us, t2_us, prx_fidelity, readout_fidelity (as in the API).
    qubits = models.JSONField(_("qubits"))
    # Per coupler: its two qubit names and cz_fidelity.
    couplers = models.JSONField(_("couplers"))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-measured_at"]
        get_latest_by = "measured_at"
        verbose_name = _("calibration record")
        verbose_name_plural = _("calibration records")
        indexes = [models.Index(fields=["backend", "-measured_at"])]

    def __str__(self) -> str:
        return f"{self.backend} calibration {self.measured_at:%Y-%m-%d %H:%M}"


class Project(models.Model):
    """A research project whose members book machine time."""

    code = models.CharField(_("code"), max_length=40, unique=True, help_text=_("e.g. CBQRC-2026-01"))
    title = models.CharField(_("title"), max_length=300)
    institution = models.ForeignKey(
        "facility.Organization", on_delete=models.PROTECT, related_name="projects", verbose_name=_("institution")
    )
    pi = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="led_projects",
        verbose_name=_("principal investigator"),
    )
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return self.code


class Membership(models.Model):
    """A user's role in a project."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("project")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=6, choices=MembershipRole.choices, default=MembershipRole.MEMBER)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["project", "user"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique"),
            models.CheckConstraint(condition=in_choices("role", MembershipRole), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.role})"


class Allocation(models.Model):
    """Machine hours granted to a project on a backend for a period (dates inclusive)."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("project")
    )
    backend = models.ForeignKey(
        Backend, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("backend")
    )
    hours = models.DecimalField(_("hours"), max_digits=10, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["project", "-valid_from"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="allocation_hours_positive"),
            models.CheckConstraint(condition=Q(valid_until__gte=F("valid_from")), name="allocation_period_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.project} on {self.backend}: {self.hours} h ({self.valid_from} to {self.valid_until})"


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
    """An OpenQASM circuit run on a backend within a booking, with its counts and metered QPU time."""

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
    cancel_reason = models.CharField(
        _("cancellation reason"), max_length=16, choices=JobCancelReason.choices, blank=True
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
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    enqueued_at = models.DateTimeField(_("handed to the broker at"), null=True, blank=True)

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
        ]
        indexes = [
            models.Index(fields=["backend", "started_at"]),
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["booking", "status"]),
        ]

    def __str__(self) -> str:
        return self.name or f"job {self.pk}"
