"""Exchange rates and payments against a contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from facility.models import Organization
from procurement.choices import (
    ContractStatus,
    PaymentMethod,
)
from procurement.models import (
    Contract,
    ExchangeRate,
    Milestone,
    Payment,
)
from procurement.money import Money
from procurement.services.common import (
    S,
    require_status,
)
from procurement.services.contracts import contract_paid_total, release_tag_next_for_implementation
from procurement.services.history import history_created
from procurement.services.workflow import (
    process_lock,
    release_append,
)


@transaction.atomic
def exchange_rate_create(*, date: dt.date, currency: str, rate_to_krw: Decimal, source: str) -> ExchangeRate:
    """Record the KRW rate of a currency on a date (one per currency and day)."""
    rate = ExchangeRate(date=date, currency=currency, rate_to_krw=rate_to_krw, source=source)
    rate.full_clean()
    rate.save()
    return rate


def exchange_rate_get(*, currency: str, on: dt.date) -> ExchangeRate | None:
    """The latest rate of `currency` published on or before `on`."""
    return ExchangeRate.objects.filter(currency=currency, date__lte=on).order_by("-date").first()


def _payment_check(*, contract: Contract, value: Money, milestone: Milestone | None) -> None:
    """Refuse a payment under an unsigned contract, in another currency, or beyond the contract value."""
    if contract.status != ContractStatus.ACTIVE:
        raise ValidationError({"contract": [_("Payments need a signed, active contract.")]}, code="not_signed")
    if value.currency != contract.value_currency:
        raise ValidationError(
            {"value": [_("Payments are in the contract currency (%(c)s).") % {"c": contract.value_currency}]},
            code="currency",
        )
    if milestone is not None and milestone.contract_id != contract.pk:
        raise ValidationError({"milestone": [_("The milestone belongs to another contract.")]}, code="invalid")
    paid = contract_paid_total(contract)
    if paid + value > contract.value:
        raise DomainError(
            _("This payment would exceed the contract value."),
            code="payment_exceeds_contract",
            contract_value=contract.value.as_dict(),
            paid=paid.as_dict(),
            requested=value.as_dict(),
        )


def _payment_rate(*, value: Money, date: dt.date, rate_to_krw: Decimal | None) -> tuple[Decimal, ExchangeRate | None]:
    """The KRW rate of the payment: 1 for KRW, the one given, or the latest published (and its row)."""
    rate_row: ExchangeRate | None = None
    if value.currency == "KRW":
        rate = Decimal(1)
    elif rate_to_krw is not None:
        rate = rate_to_krw
    else:
        rate_row = exchange_rate_get(currency=value.currency, on=date)
        if rate_row is None:
            raise ValidationError(
                {"rate_to_krw": [_("No %(c)s exchange rate on or before %(d)s.") % {"c": value.currency, "d": date}]},
                code="no_rate",
            )
        rate = rate_row.rate_to_krw
    return rate, rate_row


@transaction.atomic
def payment_create(
    *,
    contract: Contract,
    user: User | None,
    date: dt.date,
    value: Money,
    payer: Organization,
    payee: Organization,
    method: str = PaymentMethod.OTHER,
    milestone: Milestone | None = None,
    rate_to_krw: Decimal | None = None,
    notes: str = "",
    published_at: dt.datetime | None = None,
) -> Payment:
    """Pay under a signed contract; the total paid may never exceed the contract value (after amendments)."""
    process = process_lock(contract.process)  # serializes concurrent payments of this process
    require_status(process, [S.CONTRACTED, S.IMPLEMENTATION], _("Recording a payment"))
    contract = Contract.objects.prefetch_related("payments").get(pk=contract.pk)
    _payment_check(contract=contract, value=value, milestone=milestone)
    rate, rate_row = _payment_rate(value=value, date=date, rate_to_krw=rate_to_krw)
    payment = Payment(
        contract=contract,
        date=date,
        value_minor=value.minor,
        value_currency=value.currency,
        payer=payer,
        payee=payee,
        method=method,
        milestone=milestone,
        exchange_rate=rate_row,
        rate_to_krw=rate,
        krw_amount_minor=value.to_krw(rate).minor,
        notes=notes,
    )
    payment.full_clean()
    payment.save()
    history_created(
        process=process,
        user=user,
        obj=payment,
        fields=(
            "date",
            "value_minor",
            "value_currency",
            "payer",
            "payee",
            "method",
            "milestone",
            "rate_to_krw",
            "krw_amount_minor",
        ),
    )
    release_append(process=process, tags=[release_tag_next_for_implementation(process)], published_at=published_at)
    return payment
