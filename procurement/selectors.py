"""Reads of the procurement app, with the joins and prefetches each screen needs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from procurement.choices import ContractStatus, MilestoneStatus
from procurement.models import (
    Amendment,
    Award,
    Bid,
    ChangeRecord,
    Contract,
    ContractingProcess,
    Document,
    ExchangeRate,
    Milestone,
    OcdsRelease,
    Payment,
    Tender,
)
from procurement.money import Money, money_sum


def process_list() -> QuerySet[ContractingProcess]:
    return ContractingProcess.objects.select_related("buyer", "procuring_entity").order_by("-created_at", "-id")


def tender_list() -> QuerySet[Tender]:
    return Tender.objects.select_related("process").prefetch_related("items").order_by("id")


def bid_list() -> QuerySet[Bid]:
    return Bid.objects.select_related("tender", "tenderer").order_by("tender_id", "rank", "submitted_at", "id")


def award_list() -> QuerySet[Award]:
    return Award.objects.prefetch_related("suppliers").order_by("date", "id")


def contract_list() -> QuerySet[Contract]:
    return Contract.objects.select_related("process", "award").prefetch_related("payments").order_by("id")


def milestone_list() -> QuerySet[Milestone]:
    return Milestone.objects.order_by("contract_id", "due_date", "id")


def amendment_list() -> QuerySet[Amendment]:
    return Amendment.objects.order_by("date", "id")


def payment_list() -> QuerySet[Payment]:
    return Payment.objects.order_by("date", "id")


def document_list() -> QuerySet[Document]:
    return Document.objects.order_by("uploaded_at", "id")


def exchange_rate_list() -> QuerySet[ExchangeRate]:
    return ExchangeRate.objects.order_by("-date", "currency")


def release_list(*, process: ContractingProcess | None = None) -> QuerySet[OcdsRelease]:
    releases = OcdsRelease.objects.order_by("process_id", "sequence")
    return releases.filter(process=process) if process is not None else releases


def process_history_list(*, process: ContractingProcess) -> list[dict[str, Any]]:
    """Every recorded change of the process and its stage records, oldest first."""
    records = ChangeRecord.objects.filter(process=process).select_related("user").order_by("at", "id")
    return [
        {
            "at": record.at,
            "user": record.user.username if record.user else None,
            "object": record.object_repr,
            "field": record.field,
            "old": record.old,
            "new": record.new,
        }
        for record in records
    ]


def exchange_rate_latest(*, currency: str, on: dt.date, rates: list[ExchangeRate] | None = None) -> ExchangeRate | None:
    """The latest rate of `currency` on or before `on` (from `rates` when given, to avoid a query per row)."""
    if rates is None:
        return ExchangeRate.objects.filter(currency=currency, date__lte=on).order_by("-date").first()
    candidates = [r for r in rates if r.currency == currency and r.date <= on]
    return max(candidates, key=lambda r: r.date, default=None)


def _money(value: Money | None) -> dict[str, str] | None:
    return value.as_dict() if value is not None else None


def procurement_summary(*, as_of: dt.date | None = None, process_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Each process: stage, contract value in its currency and in KRW, paid vs contracted, late milestones."""
    as_of = as_of or timezone.now().date()
    processes = process_list().prefetch_related(
        Prefetch(
            "contracts",
            queryset=Contract.objects.exclude(status=ContractStatus.CANCELLED)
            .prefetch_related("payments", "milestones", "award__suppliers")
            .order_by("id"),
        )
    )
    if process_ids is not None:
        processes = processes.filter(pk__in=process_ids)
    rates = list(ExchangeRate.objects.filter(date__lte=as_of))
    rows = []
    for process in processes:
        contracts = list(process.contracts.all())
        currency = contracts[0].value_currency if contracts else process.budget_currency
        same = [c for c in contracts if c.value_currency == currency]
        value = money_sum([c.value for c in same], currency) if contracts else None
        payments = [p for c in same for p in c.payments.all()]
        paid = money_sum([p.value for p in payments], currency)
        paid_krw = money_sum([p.krw_amount for p in payments], "KRW")
        rate = None if currency == "KRW" else exchange_rate_latest(currency=currency, on=as_of, rates=rates)
        rate_value = rate.rate_to_krw if rate else (Decimal(1) if currency == "KRW" else None)
        milestones = [m for c in contracts for m in c.milestones.all()]
        late = [
            m
            for m in milestones
            if m.due_date is not None
            and (
                (m.status != MilestoneStatus.MET and m.due_date < as_of)
                or (m.date_met is not None and m.date_met > m.due_date)
            )
        ]
        suppliers = sorted({org.name for c in contracts for org in c.award.suppliers.all()})
        rows.append(
            {
                "id": process.pk,
                "ocid": process.ocid,
                "title": process.title,
                "stage": process.status,
                "buyer": process.buyer.name,
                "procuring_entity": process.procuring_entity.name,
                "suppliers": suppliers,
                "currency": currency,
                "budget": _money(process.budget),
                "contract_value": _money(value),
                "contract_value_krw": _money(value.to_krw(rate_value))
                if value is not None and rate_value is not None
                else None,
                "rate_to_krw": str(rate_value) if rate_value is not None else None,
                "rate_date": rate.date.isoformat() if rate else None,
                "paid": paid.as_dict(),
                "paid_krw": paid_krw.as_dict(),
                "remaining": _money(value - paid) if value is not None else None,
                "paid_ratio": str((paid.amount / value.amount).quantize(Decimal("0.0001")))
                if value is not None and value.amount
                else None,
                "milestones": len(milestones),
                "milestones_met": sum(1 for m in milestones if m.status == MilestoneStatus.MET),
                "milestones_late": len(late),
                "late_milestones": [
                    {
                        "code": m.code,
                        "title": m.title,
                        "due_date": m.due_date.isoformat(),
                        "date_met": m.date_met.isoformat() if m.date_met else None,
                    }
                    for m in late
                    if m.due_date is not None
                ],
            }
        )
    return rows
