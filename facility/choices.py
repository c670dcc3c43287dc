"""Enumerations of the facility app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationKind(models.TextChoices):
    UNIVERSITY = "university", _("University")
    GOVERNMENT = "government", _("Government")
    VENDOR = "vendor", _("Vendor")
    RESEARCH_CENTRE = "research_centre", _("Research centre")
    COMPANY = "company", _("Company")
    OTHER = "other", _("Other")


class OfficeStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ActivityKind(models.TextChoices):
    TRAINING = "training", _("Training")
    WORKSHOP = "workshop", _("Workshop")
    SITE_VISIT = "site_visit", _("Site visit")
    MEETING = "meeting", _("Meeting")
    SUPPORT = "support", _("Support")
    OTHER = "other", _("Other")


class EquipmentKind(models.TextChoices):
    QPU = "qpu", _("QPU")
    CRYOSTAT = "cryostat", _("Cryostat")
    CONTROL_ELECTRONICS = "control_electronics", _("Control electronics")
    COMPRESSOR = "compressor", _("Compressor")
    CHILLER = "chiller", _("Chiller")
    UPS = "ups", _("UPS")
    OTHER = "other", _("Other")


class EquipmentStatus(models.TextChoices):
    OPERATIONAL = "operational", _("Operational")
    DEGRADED = "degraded", _("Degraded")
    DOWN = "down", _("Down")
    RETIRED = "retired", _("Retired")


class WorkOrderKind(models.TextChoices):
    PREVENTIVE = "preventive", _("Preventive")
    CORRECTIVE = "corrective", _("Corrective")
    INSPECTION = "inspection", _("Inspection")


class WorkOrderStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")
    CANCELLED = "cancelled", _("Cancelled")


# A work order in one of these states still needs someone's attention.
UNFINISHED_WORK_ORDER_STATUSES = (WorkOrderStatus.OPEN, WorkOrderStatus.ACKNOWLEDGED)
