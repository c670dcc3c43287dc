"""Organisations, the site, the vendor's regional offices, equipment and its work orders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from core.db import in_choices
from core.validators import validate_time_zone
from facility.choices import (
    ActivityKind,
    EquipmentKind,
    EquipmentStatus,
    OfficeStatus,
    OrganizationKind,
    WorkOrderKind,
    WorkOrderStatus,
)


class Organization(models.Model):
    """A university, agency, vendor or company; an office or department is a child organisation."""

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganizationKind.choices)
    country = CountryField(_("country"))
    identifier_scheme = models.CharField(
        _("identifier scheme"), max_length=32, blank=True, help_text=_("org-id.guide scheme, e.g. KR-BIZID")
    )
    identifier = models.CharField(_("identifier"), max_length=64, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(condition=in_choices("kind", OrganizationKind), name="organization_kind_valid"),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="organization_not_own_parent"),
            models.UniqueConstraint(
                fields=["identifier_scheme", "identifier"],
                condition=~Q(identifier=""),
                name="organization_identifier_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name


class Site(models.Model):
    """A place where equipment is installed (the research centre), with its IANA time zone."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="sites", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=100)
    country = CountryField(_("country"))
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"],
                name="site_name_unique_per_organization",
                violation_error_message=_("This organisation already has a site of this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RegionalOffice(models.Model):
    """A vendor's regional office that supports sites."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="offices", verbose_name=_("vendor")
    )
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    country = CountryField(_("country"))
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=OfficeStatus.choices, default=OfficeStatus.PLANNED)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_offices",
        verbose_name=_("head"),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("regional office")
        verbose_name_plural = _("regional offices")
        constraints = [
            models.CheckConstraint(condition=in_choices("status", OfficeStatus), name="office_status_valid"),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(opened_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="office_closed_after_opened",
                violation_error_message=_("An office cannot close before it opened."),
            ),
            models.CheckConstraint(
                condition=~Q(status=OfficeStatus.OPEN) | Q(opened_on__isnull=False),
                name="office_open_has_opened_on",
                violation_error_message=_("An open office needs its opening date."),
            ),
            models.CheckConstraint(
                condition=~Q(status=OfficeStatus.CLOSED) | Q(closed_on__isnull=False),
                name="office_closed_has_closed_on",
                violation_error_message=_("A closed office needs its closing date."),
            ),
            models.UniqueConstraint(
                fields=["organization", "name"],
                name="office_name_unique_per_organization",
                violation_error_message=_("This organisation already has an office of this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OfficeStaff(models.Model):
    """A person working at a regional office, with a role and a period."""

    office = models.ForeignKey(RegionalOffice, on_delete=models.PROTECT, related_name="staff", verbose_name=_("office"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="office_roles", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=100)
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["office", "since"]
        verbose_name = _("office staff member")
        verbose_name_plural = _("office staff")
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=F("since")),
                name="officestaff_until_after_since",
                violation_error_message=_("The end of a staff period cannot be before its start."),
            ),
            models.UniqueConstraint(fields=["office", "user", "since"], name="officestaff_unique_period_start"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}, {self.office})"


class OfficeActivity(models.Model):
    """A training, workshop, site visit, meeting or support call of an office."""

    office = models.ForeignKey(
        RegionalOffice, on_delete=models.PROTECT, related_name="activities", verbose_name=_("office")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=200)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="office_activities",
        verbose_name=_("counterpart organisation"),
    )
    participants = models.PositiveIntegerField(_("participants"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-start"]
        verbose_name = _("office activity")
        verbose_name_plural = _("office activities")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="officeactivity_end_after_start",
                violation_error_message=_("An activity must end after it starts."),
            ),
            models.CheckConstraint(condition=in_choices("kind", ActivityKind), name="officeactivity_kind_valid"),
        ]
        indexes = [models.Index(fields=["office", "start"])]

    def __str__(self) -> str:
        return self.title


class Equipment(models.Model):
    """A piece of equipment at a site: the QPU, the cryostat, control electronics and so on."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="equipment", verbose_name=_("site"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=24, choices=EquipmentKind.choices)
    manufacturer = models.CharField(_("manufacturer"), max_length=200)
    model = models.CharField(_("model"), max_length=200, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=100)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    warranty_until = models.DateField(_("warranty until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=EquipmentStatus.choices, default=EquipmentStatus.OPERATIONAL
    )
    # A plain reference to the procurement contract: facility does not import procurement.
    contract_id = models.PositiveBigIntegerField(_("contract id"), null=True, blank=True)
    contract_number = models.CharField(_("contract number"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["site", "name"]
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        constraints = [
            models.UniqueConstraint(
                fields=["manufacturer", "serial_number"],
                name="equipment_serial_unique",
                violation_error_message=_("This manufacturer already has equipment with this serial number."),
            ),
            models.CheckConstraint(condition=in_choices("kind", EquipmentKind), name="equipment_kind_valid"),
            models.CheckConstraint(condition=in_choices("status", EquipmentStatus), name="equipment_status_valid"),
            models.CheckConstraint(
                condition=Q(warranty_until__isnull=True)
                | Q(installed_on__isnull=True)
                | Q(warranty_until__gte=F("installed_on")),
                name="equipment_warranty_after_install",
                violation_error_message=_("The warranty cannot end before the installation date."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkOrder(models.Model):
    """A service record (CMMS style): opened, acknowledged, resolved or cancelled."""

    equipment = models.ForeignKey(
        Equipment, on_delete=models.PROTECT, related_name="work_orders", verbose_name=_("equipment")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=WorkOrderKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    office = models.ForeignKey(
        RegionalOffice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("responsible office"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_work_orders",
        verbose_name=_("assignee"),
    )
    status = models.CharField(_("status"), max_length=12, choices=WorkOrderStatus.choices, default=WorkOrderStatus.OPEN)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        constraints = [
            models.CheckConstraint(condition=in_choices("kind", WorkOrderKind), name="workorder_kind_valid"),
            models.CheckConstraint(condition=in_choices("status", WorkOrderStatus), name="workorder_status_valid"),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gte=F("opened_at")),
                name="workorder_acknowledged_after_opened",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("opened_at")),
                name="workorder_resolved_after_opened",
            ),
            models.CheckConstraint(
                condition=~Q(status=WorkOrderStatus.RESOLVED) | Q(resolved_at__isnull=False),
                name="workorder_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=WorkOrderStatus.ACKNOWLEDGED) | Q(acknowledged_at__isnull=False),
                name="workorder_acknowledged_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=WorkOrderStatus.OPEN)
                | (Q(acknowledged_at__isnull=True) & Q(resolved_at__isnull=True)),
                name="workorder_open_has_no_later_times",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True)
                | Q(acknowledged_at__isnull=True)
                | Q(resolved_at__gte=F("acknowledged_at")),
                name="workorder_resolved_after_acknowledged",
            ),
            models.CheckConstraint(
                condition=~Q(status=WorkOrderStatus.ACKNOWLEDGED) | Q(resolved_at__isnull=True),
                name="workorder_acknowledged_not_resolved",
            ),
            models.CheckConstraint(
                condition=~Q(status=WorkOrderStatus.CANCELLED) | Q(cancelled_at__isnull=False),
                name="workorder_cancelled_has_time",
            ),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | Q(cancelled_at__gte=F("opened_at")),
                name="workorder_cancelled_after_opened",
            ),
            models.CheckConstraint(
                condition=~Q(kind=WorkOrderKind.PREVENTIVE) | Q(due_date__isnull=False),
                name="workorder_preventive_has_due_date",
                violation_error_message=_("Preventive work needs a due date."),
            ),
        ]
        indexes = [models.Index(fields=["status", "opened_at"]), models.Index(fields=["office", "opened_at"])]

    def __str__(self) -> str:
        return self.title
