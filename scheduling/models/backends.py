"""Backends and their booking policy, downtime (maintenance windows, outages) and calibrations."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.db import in_choices
from scheduling.choices import (
    BackendStatus,
    MaintenanceKind,
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
    max_queued_jobs = models.PositiveIntegerField(_("queued and running jobs per project"), default=20, db_default=20)

    class Meta:
        verbose_name = _("booking policy")
        verbose_name_plural = _("booking policies")
        constraints = [
            models.CheckConstraint(condition=Q(slot_minutes__gt=0), name="policy_slot_positive"),
            models.CheckConstraint(condition=Q(min_minutes__gte=F("slot_minutes")), name="policy_min_at_least_slot"),
            models.CheckConstraint(condition=Q(max_minutes__gte=F("min_minutes")), name="policy_max_at_least_min"),
            models.CheckConstraint(condition=Q(horizon_days__gt=0), name="policy_horizon_positive"),
            models.CheckConstraint(condition=Q(max_future_bookings__gt=0), name="policy_cap_positive"),
            models.CheckConstraint(condition=Q(max_queued_jobs__gt=0), name="policy_queue_cap_positive"),
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
