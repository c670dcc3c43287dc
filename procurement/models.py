"""The government procurement of the machine, modelled on OCDS 1.1: process, stage records, money, releases."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.db import in_choices
from procurement.choices import (
    AwardCriteria,
    AwardStatus,
    BidStatus,
    ContractStatus,
    Currency,
    DocumentStage,
    DocumentType,
    MilestoneStatus,
    MilestoneType,
    PaymentMethod,
    ProcessStatus,
    ProcurementCategory,
    ProcurementMethod,
    TenderStatus,
)
from procurement.money import Money


def _money(minor: int | None, currency: str) -> Money | None:
    return None if minor is None else Money.from_minor(minor, currency)


def _currency_field() -> models.CharField[str, str]:
    return models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.KRW)


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
    budget_currency = _currency_field()
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
        return _money(self.budget_minor, self.budget_currency)

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
    estimated_value_currency = _currency_field()
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
        return _money(self.estimated_value_minor, self.estimated_value_currency)

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
    value_currency = _currency_field()
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
    value_currency = _currency_field()
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
    value_currency = _currency_field()
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


class ExchangeRate(models.Model):
    """KRW per one unit of a foreign currency on a date, with its source (e.g. a bank's published rate)."""

    date = models.DateField(_("date"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    rate_to_krw = models.DecimalField(_("KRW per unit"), max_digits=18, decimal_places=6)
    source = models.CharField(_("source"), max_length=200)

    class Meta:
        ordering = ["-date", "currency"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(fields=["date", "currency"], name="exchange_rate_unique_per_day"),
            models.CheckConstraint(condition=Q(rate_to_krw__gt=0), name="exchange_rate_gt_0"),
            models.CheckConstraint(condition=~Q(currency="KRW"), name="exchange_rate_not_krw"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.currency}/KRW {self.rate_to_krw}"


class Payment(models.Model):
    """A payment under a contract in the contract's currency, with the KRW equivalent at the rate used."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="payments", verbose_name=_("contract")
    )
    date = models.DateField(_("date"))
    value_minor = models.BigIntegerField(_("value (minor units)"))
    value_currency = _currency_field()
    payer = models.ForeignKey(
        "facility.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("payer")
    )
    payee = models.ForeignKey(
        "facility.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("payee")
    )
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.OTHER)
    milestone = models.ForeignKey(
        Milestone, on_delete=models.PROTECT, null=True, blank=True, related_name="payments", verbose_name=_("milestone")
    )
    exchange_rate = models.ForeignKey(
        ExchangeRate, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("exchange rate")
    )
    rate_to_krw = models.DecimalField(_("KRW per unit"), max_digits=18, decimal_places=6)
    krw_amount_minor = models.BigIntegerField(_("KRW amount"))
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(value_minor__gt=0), name="payment_value_gt_0"),
            models.CheckConstraint(condition=Q(rate_to_krw__gt=0), name="payment_rate_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.value}"

    @property
    def value(self) -> Money:
        return Money.from_minor(self.value_minor, self.value_currency)

    @property
    def krw_amount(self) -> Money:
        return Money.from_minor(self.krw_amount_minor, "KRW")


def document_upload_to(instance: Document, filename: str) -> str:
    """A generated storage name: the client's file name (and any path in it) is never used on disk."""
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()[:10]
    return f"procurement/{uuid.uuid4().hex}{suffix}"


class Document(models.Model):
    """A file of one stage of a process; a new version supersedes the old one, never overwrites it."""

    process = models.ForeignKey(
        ContractingProcess, on_delete=models.PROTECT, related_name="documents", verbose_name=_("process")
    )
    stage = models.CharField(_("stage"), max_length=16, choices=DocumentStage.choices)
    document_type = models.CharField(_("document type"), max_length=32, choices=DocumentType.choices)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    file = models.FileField(_("file"), upload_to=document_upload_to, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    media_type = models.CharField(_("media type"), max_length=100)
    language = models.CharField(_("language"), max_length=8, default="ko")
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("supersedes"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="document_size_gt_0"),
            models.CheckConstraint(condition=~Q(supersedes=F("pk")), name="document_not_own_version"),
        ]

    def __str__(self) -> str:
        return self.title


class Amendment(models.Model):
    """A formal change to a published tender or a signed contract: rationale, what changed, old and new."""

    process = models.ForeignKey(
        ContractingProcess, on_delete=models.PROTECT, related_name="amendments", verbose_name=_("process")
    )
    tender = models.ForeignKey(
        Tender, on_delete=models.PROTECT, null=True, blank=True, related_name="amendments", verbose_name=_("tender")
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, null=True, blank=True, related_name="amendments", verbose_name=_("contract")
    )
    date = models.DateTimeField(_("date"))
    rationale = models.TextField(_("rationale"))
    description = models.TextField(_("description"), blank=True)
    value_change_minor = models.BigIntegerField(_("value change (minor units)"), null=True, blank=True)
    value_change_currency = _currency_field()
    new_period_end = models.DateField(_("new period end"), null=True, blank=True)
    changes = models.JSONField(_("changes"), default=list, blank=True)
    amends_release_id = models.CharField(_("amends release id"), max_length=100, blank=True)
    release_id = models.CharField(_("release id"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        constraints = [
            models.CheckConstraint(
                condition=(Q(tender__isnull=False) & Q(contract__isnull=True))
                | (Q(tender__isnull=True) & Q(contract__isnull=False)),
                name="amendment_tender_xor_contract",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.rationale[:60]}"

    @property
    def value_change(self) -> Money | None:
        return _money(self.value_change_minor, self.value_change_currency)


class OcdsRelease(models.Model):
    """An immutable OCDS release; its SHA-256 chains to the previous release of the same ocid."""

    process = models.ForeignKey(
        ContractingProcess, on_delete=models.PROTECT, related_name="releases", verbose_name=_("process")
    )
    ocid = models.CharField(_("OCID"), max_length=64)
    sequence = models.PositiveIntegerField(_("sequence"))
    release_id = models.CharField(_("release id"), max_length=100, unique=True)
    date = models.DateTimeField(_("date"))
    tags = models.JSONField(_("tags"))
    payload: models.JSONField[Any, Any] = models.JSONField(_("payload"))
    previous_sha256 = models.CharField(_("previous SHA-256"), max_length=64, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)

    class Meta:
        ordering = ["process_id", "sequence"]
        verbose_name = _("OCDS release")
        verbose_name_plural = _("OCDS releases")
        constraints = [
            models.UniqueConstraint(fields=["process", "sequence"], name="release_sequence_unique_per_process"),
        ]

    def __str__(self) -> str:
        return self.release_id


class ChangeRecord(models.Model):
    """One changed field of a procurement record: who, when, which object, old and new value."""

    process = models.ForeignKey(
        ContractingProcess, on_delete=models.PROTECT, related_name="changes", verbose_name=_("process")
    )
    at = models.DateTimeField(_("at"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    object_type = models.CharField(_("object type"), max_length=50)
    object_id = models.PositiveBigIntegerField(_("object id"))
    object_repr = models.CharField(_("object"), max_length=300)
    action = models.CharField(_("action"), max_length=20)
    field = models.CharField(_("field"), max_length=100)
    old = models.JSONField(_("old value"), null=True, blank=True)
    new = models.JSONField(_("new value"), null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("change record")
        verbose_name_plural = _("change records")
        indexes = [models.Index(fields=["process", "at"], name="change_process_at_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.object_repr}.{self.field}"
