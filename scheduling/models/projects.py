"""Projects, their members and their allocations of backend hours."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.db import in_choices
from scheduling.choices import (
    MembershipRole,
)
from scheduling.models.backends import Backend


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
