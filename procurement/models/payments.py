"""Exchange rates and payments."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from procurement.choices import (
    Currency,
    PaymentMethod,
)
from procurement.models.common import currency_field
from procurement.models.stages import Contract, Milestone
from procurement.money import Money


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
    value_currency = currency_field()
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
