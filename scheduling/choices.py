"""Enumerations of the scheduling app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BackendStatus(models.TextChoices):
    ONLINE = "online", _("Online")
    MAINTENANCE = "maintenance", _("Maintenance")
    OFFLINE = "offline", _("Offline")


class MaintenanceKind(models.TextChoices):
    CALIBRATION = "calibration", _("Calibration")
    COOLDOWN = "cooldown", _("Cooldown")
    WARMUP = "warmup", _("Warm-up")
    UPGRADE = "upgrade", _("Upgrade")
    PREVENTIVE = "preventive", _("Preventive maintenance")
    OTHER = "other", _("Other")


class OutageSeverity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class MembershipRole(models.TextChoices):
    PI = "pi", _("Principal investigator")
    MEMBER = "member", _("Member")


class BookingStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")


# Bookings that hold their time: no two of these may overlap on one backend.
ACTIVE_BOOKING_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)
# Bookings that count as booked time in reports.
BOOKED_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


class CancelReason(models.TextChoices):
    USER = "user", _("Cancelled by the user")
    MAINTENANCE = "maintenance", _("Cancelled for maintenance")
    REJECTED = "rejected", _("Rejected")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


FINISHED_JOB_STATUSES = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


class JobCancelReason(models.TextChoices):
    USER = "user", _("Cancelled by the user")
    BOOKING_ENDED = "booking_ended", _("The booking ended before the job ran")


class JobErrorCode(models.TextChoices):
    """Why a job failed or was cancelled (API.md jobs: `error_code`)."""

    TIME_LIMIT = "time_limit", _("Ran past the time limit")
    WORKER_LOST = "worker_lost", _("Its worker died more times than allowed")
    BOOKING_ENDED = "booking_ended", _("Its booking ended")
    BOOKING_CANCELLED = "booking_cancelled", _("Its booking was cancelled")
    OUTAGE = "outage", _("An outage of the backend")
    SIMULATION_ERROR = "simulation_error", _("The simulation failed")
    CANCELLED_BY_USER = "cancelled_by_user", _("Cancelled by the user")


# Jobs that hold a place in the backend's queue (the policy's `max_queued_jobs`).
PENDING_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
