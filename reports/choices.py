"""Enumerations of the reports app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    UTILIZATION = "utilization", _("Backend utilization")
    PROJECT_USAGE = "project_usage", _("Project usage")
    PROCUREMENT_SUMMARY = "procurement_summary", _("Procurement summary")
    OFFICE_ACTIVITY = "office_activity", _("Office activity")


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ReportFormat(models.TextChoices):
    JSON = "json", "JSON"
    CSV = "csv", "CSV"
    PDF = "pdf", "PDF"
