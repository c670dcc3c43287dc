"""The contracting process: one OCDS `ocid` from budget to final payment."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.db import in_choices
from procurement.choices import (
    ProcessStatus,
    ProcurementCategory,
    ProcurementMethod,
)
from procurement.models.common import currency_field, money_or_none
from procurement.money import Money


class ContractingProcess(models.Model):
    """One contracting process (OCDS `ocid`) from budget to final payment, with the Korean process numbers."""

    ocid = models.CharField(_("OCID"), max_length=64, blank=True, editable=False)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    buyer = models.ForeignKey(
        "facility.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("buyer")
    )
    procuring_entity = models.ForeignKey(
        "facility.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("procuring entity")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ProcessStatus.choices, default=ProcessStatus.PLANNING, editable=False
    )
    main_category = models.CharField(
        _("main category"), max_length=10, choices=ProcurementCategory.choices, default=ProcurementCategory.GOODS
    )
    method = models.CharField(
        _("method"), max_length=10, choices=ProcurementMethod.choices, default=ProcurementMethod.OPEN
    )
    method_details = models.CharField(_("method details"), max_length=300, blank=True)
    foreign_procurement = models.BooleanField(_("foreign procurement"), default=False)
    international_tender = models.BooleanField(_("international tender"), default=False)
    plan_number = models.CharField(_("procurement plan no."), max_length=50, blank=True)
    request_number = models.CharField(_("procurement request no."), max_length=50, blank=True)
    prespec_number = models.CharField(_("pre-specification no."), max_length=50, blank=True)
    notice_number = models.CharField(_("bid notice no."), max_length=50, blank=True)
    notice_order = models.CharField(_("bid notice order"), max_length=10, blank=True)
    contract_number = models.CharField(_("contract no."), max_length=50, blank=True)
    budget_minor = models.BigIntegerField(_("budget (minor units)"), null=True, blank=True)
    budget_currency = currency_field()
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"), null=True, blank=True)
    funding_source = models.CharField(_("funding source"), max_length=200, blank=True)
    project_name = models.CharField(_("project name"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("contracting process")
        verbose_name_plural = _("contracting processes")
        constraints = [
            models.UniqueConstraint(fields=["ocid"], condition=~Q(ocid=""), name="process_ocid_unique"),
            models.CheckConstraint(condition=in_choices("status", ProcessStatus), name="process_status_valid"),
            models.CheckConstraint(
                condition=Q(budget_minor__isnull=True) | Q(budget_minor__gte=0), name="budget_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ocid} {self.title}"

    @property
    def budget(self) -> Money | None:
        return money_or_none(self.budget_minor, self.budget_currency)

    @property
    def numbers(self) -> dict[str, str]:
        return {
            "plan": self.plan_number,
            "request": self.request_number,
            "prespec": self.prespec_number,
            "notice": self.notice_number,
            "notice_order": self.notice_order,
            "contract": self.contract_number,
        }
