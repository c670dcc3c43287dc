"""Stage records: tender and items, bids, awards, contracts, milestones."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.db import in_choices
from procurement.choices import (
    AwardCriteria,
    AwardStatus,
    BidStatus,
    ContractStatus,
    MilestoneStatus,
    MilestoneType,
    TenderStatus,
)
from procurement.models.common import currency_field, money_or_none
from procurement.models.process import ContractingProcess
from procurement.money import Money


class Tender(models.Model):
    """The tender of a process (one per process); its core fields lock once published."""

    process = models.OneToOneField(
        ContractingProcess, on_delete=models.PROTECT, related_name="tender", verbose_name=_("process")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=TenderStatus.choices, default=TenderStatus.PLANNED, editable=False
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    tender_start = models.DateTimeField(_("tender period start"), null=True, blank=True)
    tender_end = models.DateTimeField(_("tender period end"), null=True, blank=True)
    enquiry_start = models.DateTimeField(_("enquiry period start"), null=True, blank=True)
    enquiry_end = models.DateTimeField(_("enquiry period end"), null=True, blank=True)
    award_start = models.DateTimeField(_("award period start"), null=True, blank=True)
    award_end = models.DateTimeField(_("award period end"), null=True, blank=True)
    estimated_value_minor = models.BigIntegerField(_("estimated value (minor units)"), null=True, blank=True)
    estimated_value_currency = currency_field()
    award_criteria = models.CharField(
        _("award criteria"), max_length=24, choices=AwardCriteria.choices, blank=True, default=""
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("tender")
        verbose_name_plural = _("tenders")
        constraints = [
            models.CheckConstraint(condition=in_choices("status", TenderStatus), name="tender_status_valid"),
            models.CheckConstraint(
                condition=Q(tender_end__isnull=True)
                | Q(tender_start__isnull=True)
                | Q(tender_end__gt=F("tender_start")),
                name="tender_period_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(enquiry_end__isnull=True)
                | Q(enquiry_start__isnull=True)
                | Q(enquiry_end__gt=F("enquiry_start")),
                name="tender_enquiry_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(award_end__isnull=True) | Q(award_start__isnull=True) | Q(award_end__gt=F("award_start")),
                name="tender_award_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def estimated_value(self) -> Money | None:
        return money_or_none(self.estimated_value_minor, self.estimated_value_currency)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class TenderItem(models.Model):
    """A line item of a tender: what is bought, classified (e.g. CPV or UNSPSC), in what quantity."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="items", verbose_name=_("tender"))
    description = models.CharField(_("description"), max_length=500)
    classification_scheme = models.CharField(_("classification scheme"), max_length=20, blank=True)
    classification_id = models.CharField(_("classification id"), max_length=50, blank=True)
    classification_description = models.CharField(_("classification description"), max_length=300, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=1)
    unit = models.CharField(_("unit"), max_length=50, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("tender item")
        verbose_name_plural = _("tender items")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="tender_item_quantity_gt_0")]

    def __str__(self) -> str:
        return self.description

    @property
    def classification(self) -> dict[str, str] | None:
        if not self.classification_scheme and not self.classification_id:
            return None
        return {
            "scheme": self.classification_scheme,
            "id": self.classification_id,
            "description": self.classification_description,
        }


class Bid(models.Model):
    """A bid submitted to a tender by one tenderer."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="bids", verbose_name=_("tender"))
    tenderer = models.ForeignKey(
        "facility.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("tenderer")
    )
    value_minor = models.BigIntegerField(_("value (minor units)"))
    value_currency = currency_field()
    submitted_at = models.DateTimeField(_("submitted at"))
    status = models.CharField(_("status"), max_length=12, choices=BidStatus.choices, default=BidStatus.VALID)
    rank = models.PositiveSmallIntegerField(_("rank"), null=True, blank=True)

    class Meta:
        ordering = ["rank", "submitted_at", "id"]
        verbose_name = _("bid")
        verbose_name_plural = _("bids")
        constraints = [
            models.CheckConstraint(condition=in_choices("status", BidStatus), name="bid_status_valid"),
            models.CheckConstraint(condition=Q(value_minor__gte=0), name="bid_value_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.tenderer} {self.value}"

    @property
    def value(self) -> Money:
        return Money.from_minor(self.value_minor, self.value_currency)


class Award(models.Model):
    """An award decision: suppliers and value (OCDS award)."""

    process = models.ForeignKey(
        ContractingProcess, on_delete=models.PROTECT, related_name="awards", verbose_name=_("process")
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    suppliers = models.ManyToManyField("facility.Organization", related_name="+", verbose_name=_("suppliers"))
    value_minor = models.BigIntegerField(_("value (minor units)"))
    value_currency = currency_field()
    date = models.DateTimeField(_("date"))
    status = models.CharField(_("status"), max_length=12, choices=AwardStatus.choices, default=AwardStatus.PENDING)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        constraints = [
            models.CheckConstraint(condition=in_choices("status", AwardStatus), name="award_status_valid"),
            models.CheckConstraint(condition=Q(value_minor__gte=0), name="award_value_gte_0"),
        ]

    def __str__(self) -> str:
        return self.title or f"Award {self.pk}"

    @property
    def value(self) -> Money:
        return Money.from_minor(self.value_minor, self.value_currency)


class Contract(models.Model):
    """The contract signed for an award; value and period lock once signed (changes need an Amendment)."""

    process = models.ForeignKey(
        ContractingProcess, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("process")
    )
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("award"))
    number = models.CharField(_("number"), max_length=50, blank=True)
    title = models.CharField(_("title"), max_length=300)
    value_minor = models.BigIntegerField(_("value (minor units)"))
    value_currency = currency_field()
    signed_on = models.DateField(_("signed on"), null=True, blank=True, editable=False)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.PENDING, editable=False
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(condition=in_choices("status", ContractStatus), name="contract_status_valid"),
            models.CheckConstraint(condition=Q(value_minor__gte=0), name="contract_value_gte_0"),
            models.CheckConstraint(
                condition=Q(period_end__isnull=True)
                | Q(period_start__isnull=True)
                | Q(period_end__gt=F("period_start")),
                name="contract_period_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.number or self.title

    @property
    def value(self) -> Money:
        return Money.from_minor(self.value_minor, self.value_currency)

    @property
    def is_signed(self) -> bool:
        return self.signed_on is not None


class Milestone(models.Model):
    """A contract milestone such as delivered, installed, site acceptance or warranty end."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="milestones", verbose_name=_("contract")
    )
    code = models.SlugField(_("code"), max_length=50)
    title = models.CharField(_("title"), max_length=300)
    type = models.CharField(_("type"), max_length=16, choices=MilestoneType.choices, default=MilestoneType.DELIVERY)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    date_met = models.DateField(_("date met"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=14, choices=MilestoneStatus.choices, default=MilestoneStatus.SCHEDULED
    )

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.UniqueConstraint(fields=["contract", "code"], name="milestone_code_unique_per_contract"),
            models.CheckConstraint(condition=in_choices("status", MilestoneStatus), name="milestone_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=MilestoneStatus.MET) | Q(date_met__isnull=False), name="milestone_met_has_date"
            ),
        ]

    def __str__(self) -> str:
        return self.title
