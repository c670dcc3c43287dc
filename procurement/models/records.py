"""Documents, amendments, the OCDS releases and the change history of a process."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from procurement.choices import (
    DocumentStage,
    DocumentType,
)
from procurement.models.common import currency_field, money_or_none
from procurement.models.process import ContractingProcess
from procurement.models.stages import Contract, Tender
from procurement.money import Money


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
    published_at = models.DateTimeField(
        _("first published at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the document was first published (its OCDS datePublished); empty: when it was uploaded."),
    )

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
    value_change_currency = currency_field()
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
        return money_or_none(self.value_change_minor, self.value_change_currency)


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
