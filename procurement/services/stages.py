"""Stage records of a process: tender and items, bids, awards, contracts, milestones, payments, amendments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from config.errors import DomainError
from facility.models import Organization
from procurement.choices import (
    AwardStatus,
    BidStatus,
    ContractStatus,
    MilestoneStatus,
    MilestoneType,
    PaymentMethod,
    ProcessStatus,
    ReleaseTag,
    TenderStatus,
)
from procurement.models import (
    Amendment,
    Award,
    Bid,
    Contract,
    ContractingProcess,
    ExchangeRate,
    Milestone,
    Payment,
    Tender,
    TenderItem,
)
from procurement.money import Money, money_sum
from procurement.services.history import diff, history_created, history_record, snapshot
from procurement.services.workflow import (
    TERMINAL,
    lock_process,
    next_release_id,
    release_append,
    tag,
)

S = ProcessStatus

TENDER_FIELDS = (
    "title",
    "description",
    "tender_start",
    "tender_end",
    "enquiry_start",
    "enquiry_end",
    "award_start",
    "award_end",
    "estimated_value_minor",
    "estimated_value_currency",
    "award_criteria",
)
# Published tender: everything a bidder relied on changes only through an Amendment.
TENDER_LOCKED = frozenset(TENDER_FIELDS) - {"award_start", "award_end"}
CONTRACT_FIELDS = ("number", "title", "value_minor", "value_currency", "period_start", "period_end")
# Signed contract: value and period change only through an Amendment.
CONTRACT_LOCKED = frozenset({"value_minor", "value_currency", "period_start", "period_end"})
MILESTONE_FIELDS = ("code", "title", "type", "due_date", "date_met", "status")


class TenderItemFields(TypedDict, total=False):
    """One item of a tender."""

    description: str
    classification_scheme: str
    classification_id: str
    classification_description: str
    quantity: Decimal | int
    unit: str


TENDER_ITEM_FIELDS = frozenset(TenderItemFields.__annotations__)


class TenderDetails(TypedDict, total=False):
    """What `tender_create` takes besides its title and items."""

    description: str
    tender_start: dt.datetime | None
    tender_end: dt.datetime | None
    enquiry_start: dt.datetime | None
    enquiry_end: dt.datetime | None
    award_start: dt.datetime | None
    award_end: dt.datetime | None
    estimated_value: Money | None
    award_criteria: str


class TenderFields(TenderDetails, total=False):
    """What `tender_update` may change."""

    title: str


class BidFields(TypedDict, total=False):
    """What the evaluation of a bid may change."""

    status: str
    rank: int | None


class ContractFields(TypedDict, total=False):
    """What `contract_update` may change (value and period: before signature only)."""

    number: str
    title: str
    value: Money
    period_start: dt.date | None
    period_end: dt.date | None


class MilestoneFields(TypedDict, total=False):
    """What `milestone_update` may change; `date_met` alone marks the milestone met."""

    code: str
    title: str
    type: str
    due_date: dt.date | None
    date_met: dt.date | None
    status: str


def _refuse_closed(process: ContractingProcess) -> None:
    if process.status in TERMINAL:
        raise DomainError(
            _("The contracting process is %(status)s; its records are read-only.") % {"status": process.status},
            code="invalid_transition",
            allowed=[],
        )


def _require_status(process: ContractingProcess, statuses: Iterable[str], what: str) -> None:
    statuses = list(statuses)
    if process.status not in statuses:
        raise DomainError(
            _("%(what)s is not possible while the process is %(status)s (needs %(needed)s).")
            % {"what": what, "status": process.status, "needed": ", ".join(statuses)},
            code="invalid_transition",
            allowed=[],
        )


def _money_columns(given: Mapping[str, Any], name: str, prefix: str) -> dict[str, Any]:
    fields = dict(given)
    if name in fields:
        money: Money | None = fields.pop(name)
        fields[f"{prefix}_minor"] = None if money is None else money.minor
        if money is not None:
            fields[f"{prefix}_currency"] = money.currency
    return fields


def _check_fields(fields: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})


def _save_changes(
    obj: Any, columns: Mapping[str, Any], *, process: ContractingProcess, user: User | None, locked: frozenset[str]
) -> dict[str, tuple[Any, Any]]:
    """Apply `columns` to `obj`; a change to a locked field raises `amendment_required` and saves nothing."""
    before = snapshot(obj, columns)
    for key, value in columns.items():
        setattr(obj, key, value)
    changes = diff(before, snapshot(obj, columns))
    blocked = sorted(set(changes) & locked)
    if blocked:
        raise DomainError(
            _("These fields are locked; change them through an amendment: %(fields)s") % {"fields": ", ".join(blocked)},
            code="amendment_required",
            fields=blocked,
        )
    if changes:
        obj.full_clean()
        obj.save()
        history_record(process=process, user=user, obj=obj, action="update", changes=changes)
    return changes


# --- tender ---


def _tender_tag(process: ContractingProcess) -> str:
    if process.status == S.PLANNING:
        return tag(process, ReleaseTag.PLANNING, ReleaseTag.PLANNING_UPDATE)
    return tag(process, ReleaseTag.TENDER, ReleaseTag.TENDER_UPDATE)


def _item_create(*, tender: Tender, user: User | None, item: TenderItemFields) -> TenderItem:
    _check_fields(item, TENDER_ITEM_FIELDS)
    obj = TenderItem(tender=tender, **item)
    obj.full_clean()
    obj.save()
    history_created(process=tender.process, user=user, obj=obj, fields=[k for k in item if k != "tender"])
    return obj


@transaction.atomic
def tender_create(
    *,
    process: ContractingProcess,
    user: User | None,
    title: str,
    items: Iterable[TenderItemFields] = (),
    **fields: Unpack[TenderDetails],
) -> Tender:
    """Record the planned tender of a process (in planning; it is published by the `tender` step)."""
    process = lock_process(process)
    _require_status(process, [S.PLANNING], _("Recording a tender"))
    if Tender.objects.filter(process=process).exists():
        raise ValidationError({"process": [_("This process already has a tender.")]}, code="unique")
    columns = _money_columns(fields, "estimated_value", "estimated_value")
    _check_fields(columns, TENDER_FIELDS)
    tender = Tender(process=process, title=title, status=TenderStatus.PLANNED, **columns)
    tender.full_clean()
    tender.save()
    history_created(process=process, user=user, obj=tender, fields=("status", *TENDER_FIELDS))
    for item in items:
        _item_create(tender=tender, user=user, item=item)
    release_append(process=process, tags=[_tender_tag(process)])
    return tender


@transaction.atomic
def tender_update(*, tender: Tender, user: User | None, **fields: Unpack[TenderFields]) -> Tender:
    """Change a tender; once published its core fields answer `amendment_required`."""
    process = lock_process(tender.process)
    _refuse_closed(process)
    tender = Tender.objects.get(pk=tender.pk)
    columns = _money_columns(fields, "estimated_value", "estimated_value")
    _check_fields(columns, TENDER_FIELDS)
    locked = TENDER_LOCKED if tender.is_published else frozenset()
    if _save_changes(tender, columns, process=process, user=user, locked=locked):
        release_append(process=process, tags=[_tender_tag(process)])
    return tender


@transaction.atomic
def tender_item_create(*, tender: Tender, user: User | None, **item: Unpack[TenderItemFields]) -> TenderItem:
    """Add an item to an unpublished tender (after publication the item list needs an amendment)."""
    process = lock_process(tender.process)
    _refuse_closed(process)
    if Tender.objects.get(pk=tender.pk).is_published:
        raise DomainError(
            _("The tender is published; its items change only through an amendment."),
            code="amendment_required",
            fields=["items"],
        )
    obj = _item_create(tender=tender, user=user, item=item)
    release_append(process=process, tags=[_tender_tag(process)])
    return obj


# --- bids ---


@transaction.atomic
def bid_create(
    *,
    tender: Tender,
    user: User | None,
    tenderer: Organization,
    value: Money,
    submitted_at: dt.datetime,
    status: str = BidStatus.VALID,
    rank: int | None = None,
) -> Bid:
    """Record a bid on a published tender; it must have been submitted within the tender period."""
    process = lock_process(tender.process)
    _require_status(process, [S.TENDER, S.EVALUATION], _("Recording a bid"))
    tender = Tender.objects.get(pk=tender.pk)
    assert tender.tender_start is not None
    assert tender.tender_end is not None
    if not tender.tender_start <= submitted_at <= tender.tender_end:
        raise ValidationError(
            {"submitted_at": [_("A bid must be submitted within the tender period.")]}, code="outside_tender_period"
        )
    bid = Bid(
        tender=tender,
        tenderer=tenderer,
        value_minor=value.minor,
        value_currency=value.currency,
        submitted_at=submitted_at,
        status=status,
        rank=rank,
    )
    bid.full_clean()
    bid.save()
    history_created(
        process=process,
        user=user,
        obj=bid,
        fields=("tenderer", "value_minor", "value_currency", "submitted_at", "status", "rank"),
    )
    release_append(process=process, tags=[_tender_tag(process)])
    return bid


@transaction.atomic
def bid_update(*, bid: Bid, user: User | None, **fields: Unpack[BidFields]) -> Bid:
    """Evaluate a bid: its status (valid, disqualified, withdrawn) and rank."""
    process = lock_process(bid.tender.process)
    _require_status(process, [S.TENDER, S.EVALUATION], _("Evaluating a bid"))
    _check_fields(fields, ("status", "rank"))
    bid = Bid.objects.get(pk=bid.pk)
    if _save_changes(bid, fields, process=process, user=user, locked=frozenset()):
        release_append(process=process, tags=[_tender_tag(process)])
    return bid


# --- awards ---


@transaction.atomic
def award_create(
    *,
    process: ContractingProcess,
    user: User | None,
    suppliers: Iterable[Organization],
    value: Money,
    date: dt.datetime | None = None,
    title: str = "",
) -> Award:
    """Record an award during evaluation; every supplier needs a valid bid on the tender."""
    process = lock_process(process)
    _require_status(process, [S.EVALUATION], _("Recording an award"))
    suppliers = list(suppliers)
    if not suppliers:
        raise ValidationError({"suppliers": [_("An award needs at least one supplier.")]}, code="required")
    valid = set(
        Bid.objects.filter(tender__process=process, status=BidStatus.VALID).values_list("tenderer_id", flat=True)
    )
    missing = [org.name for org in suppliers if org.pk not in valid]
    if missing:
        raise ValidationError(
            {"suppliers": [_("No valid bid from: %(names)s") % {"names": ", ".join(missing)}]}, code="no_valid_bid"
        )
    award = Award(
        process=process,
        title=title,
        value_minor=value.minor,
        value_currency=value.currency,
        date=date or timezone.now(),
        status=AwardStatus.PENDING,
    )
    award.full_clean()
    award.save()
    award.suppliers.set(suppliers)
    history_created(
        process=process, user=user, obj=award, fields=("title", "value_minor", "value_currency", "date", "status")
    )
    history_record(
        process=process,
        user=user,
        obj=award,
        action="create",
        changes={"suppliers": (None, sorted(org.pk for org in suppliers))},
    )
    release_append(process=process, tags=[tag(process, ReleaseTag.AWARD, ReleaseTag.AWARD_UPDATE)])
    return award


# --- contracts ---


def _check_within_award(contract: Contract, award: Award) -> None:
    if contract.value_currency != award.value_currency:
        raise ValidationError({"value": [_("The contract must be in the award's currency.")]}, code="currency")
    if contract.value > award.value:
        raise ValidationError(
            {"value": [_("The contract value may not exceed the award value (%(award)s).") % {"award": award.value}]},
            code="exceeds_award",
        )


@transaction.atomic
def contract_create(
    *,
    award: Award,
    user: User | None,
    title: str,
    value: Money,
    number: str = "",
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
) -> Contract:
    """Draft the contract of an active award; its value may not exceed the award's."""
    process = lock_process(award.process)
    _require_status(process, [S.AWARDED, S.CONTRACTED], _("Recording a contract"))
    award = Award.objects.get(pk=award.pk)
    if award.status != AwardStatus.ACTIVE:
        raise ValidationError({"award": [_("A contract needs an active award.")]}, code="award_not_active")
    contract = Contract(
        process=process,
        award=award,
        title=title,
        number=number,
        value_minor=value.minor,
        value_currency=value.currency,
        period_start=period_start,
        period_end=period_end,
    )
    _check_within_award(contract, award)
    contract.full_clean()
    contract.save()
    history_created(process=process, user=user, obj=contract, fields=("award", "status", *CONTRACT_FIELDS))
    release_append(process=process, tags=[tag(process, ReleaseTag.CONTRACT, ReleaseTag.CONTRACT_UPDATE)])
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, user: User | None, **fields: Unpack[ContractFields]) -> Contract:
    """Change a contract; once signed its value and period answer `amendment_required`."""
    process = lock_process(contract.process)
    _refuse_closed(process)
    contract = Contract.objects.select_related("award").get(pk=contract.pk)
    columns = _money_columns(fields, "value", "value")
    _check_fields(columns, CONTRACT_FIELDS)
    locked = CONTRACT_LOCKED if contract.is_signed else frozenset()
    if not contract.is_signed and ("value_minor" in columns or "value_currency" in columns):
        probe = Contract(value_minor=columns.get("value_minor", contract.value_minor))
        probe.value_currency = columns.get("value_currency", contract.value_currency)
        _check_within_award(probe, contract.award)
    if _save_changes(contract, columns, process=process, user=user, locked=locked):
        release_append(process=process, tags=[tag(process, ReleaseTag.CONTRACT, ReleaseTag.CONTRACT_UPDATE)])
    return contract


@transaction.atomic
def contract_sign(*, contract: Contract, user: User | None, signed_on: dt.date) -> Contract:
    """Record the signature: the contract becomes active and its value and period lock."""
    process = lock_process(contract.process)
    _require_status(process, [S.AWARDED, S.CONTRACTED], _("Signing a contract"))
    contract = Contract.objects.get(pk=contract.pk)
    if contract.status != ContractStatus.PENDING:
        raise DomainError(
            _("Only a pending contract can be signed."), code="invalid_transition", allowed=[], status=contract.status
        )
    old = snapshot(contract, ("signed_on", "status"))
    contract.signed_on = signed_on
    contract.status = ContractStatus.ACTIVE
    contract.full_clean()
    contract.save()
    history_record(
        process=process,
        user=user,
        obj=contract,
        action="transition",
        changes=diff(old, snapshot(contract, ("signed_on", "status"))),
    )
    release_append(process=process, tags=[tag(process, ReleaseTag.CONTRACT, ReleaseTag.CONTRACT_UPDATE)])
    return contract


def contract_paid(contract: Contract) -> Money:
    """The sum of the contract's payments (uses prefetched payments when present)."""
    return money_sum([p.value for p in contract.payments.all()], contract.value_currency)


# --- milestones ---


def _implementation_tag(process: ContractingProcess) -> str:
    if process.status in (S.IMPLEMENTATION, S.COMPLETED):
        return tag(process, ReleaseTag.IMPLEMENTATION, ReleaseTag.IMPLEMENTATION_UPDATE)
    return tag(process, ReleaseTag.CONTRACT, ReleaseTag.CONTRACT_UPDATE)


@transaction.atomic
def milestone_create(
    *,
    contract: Contract,
    user: User | None,
    code: str,
    title: str,
    type: str = MilestoneType.DELIVERY,
    due_date: dt.date | None = None,
    date_met: dt.date | None = None,
    status: str | None = None,
) -> Milestone:
    """Add a milestone (e.g. delivered, installed, site acceptance, warranty end) to a contract."""
    process = lock_process(contract.process)
    _refuse_closed(process)
    milestone = Milestone(
        contract=contract,
        code=code,
        title=title,
        type=type,
        due_date=due_date,
        date_met=date_met,
        status=status or (MilestoneStatus.MET if date_met else MilestoneStatus.SCHEDULED),
    )
    milestone.full_clean()
    milestone.save()
    history_created(process=process, user=user, obj=milestone, fields=MILESTONE_FIELDS)
    release_append(process=process, tags=[_implementation_tag(process)])
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, user: User | None, **fields: Unpack[MilestoneFields]) -> Milestone:
    """Change a milestone; giving `date_met` alone marks it met."""
    process = lock_process(milestone.contract.process)
    _refuse_closed(process)
    _check_fields(fields, MILESTONE_FIELDS)
    if fields.get("date_met") and "status" not in fields:
        fields["status"] = MilestoneStatus.MET
    milestone = Milestone.objects.get(pk=milestone.pk)
    if _save_changes(milestone, fields, process=process, user=user, locked=frozenset()):
        release_append(process=process, tags=[_implementation_tag(process)])
    return milestone


# --- exchange rates and payments ---


@transaction.atomic
def exchange_rate_create(*, date: dt.date, currency: str, rate_to_krw: Decimal, source: str) -> ExchangeRate:
    """Record the KRW rate of a currency on a date (one per currency and day)."""
    rate = ExchangeRate(date=date, currency=currency, rate_to_krw=rate_to_krw, source=source)
    rate.full_clean()
    rate.save()
    return rate


def exchange_rate_for(*, currency: str, on: dt.date) -> ExchangeRate | None:
    """The latest rate of `currency` published on or before `on`."""
    return ExchangeRate.objects.filter(currency=currency, date__lte=on).order_by("-date").first()


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
) -> Payment:
    """Pay under a signed contract; the total paid may never exceed the contract value (after amendments)."""
    process = lock_process(contract.process)  # serializes concurrent payments of this process
    _require_status(process, [S.CONTRACTED, S.IMPLEMENTATION], _("Recording a payment"))
    contract = Contract.objects.prefetch_related("payments").get(pk=contract.pk)
    if contract.status != ContractStatus.ACTIVE:
        raise ValidationError({"contract": [_("Payments need a signed, active contract.")]}, code="not_signed")
    if value.currency != contract.value_currency:
        raise ValidationError(
            {"value": [_("Payments are in the contract currency (%(c)s).") % {"c": contract.value_currency}]},
            code="currency",
        )
    if milestone is not None and milestone.contract_id != contract.pk:
        raise ValidationError({"milestone": [_("The milestone belongs to another contract.")]}, code="invalid")
    paid = contract_paid(contract)
    if paid + value > contract.value:
        raise DomainError(
            _("This payment would exceed the contract value."),
            code="payment_exceeds_contract",
            contract_value=contract.value.as_dict(),
            paid=paid.as_dict(),
            requested=value.as_dict(),
        )
    rate_row: ExchangeRate | None = None
    if value.currency == "KRW":
        rate = Decimal(1)
    elif rate_to_krw is not None:
        rate = rate_to_krw
    else:
        rate_row = exchange_rate_for(currency=value.currency, on=date)
        if rate_row is None:
            raise ValidationError(
                {"rate_to_krw": [_("No %(c)s exchange rate on or before %(d)s.") % {"c": value.currency, "d": date}]},
                code="no_rate",
            )
        rate = rate_row.rate_to_krw
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
    release_append(process=process, tags=[_implementation_tag(process)])
    return payment


# --- amendments ---


def _end_of_day_like(current: dt.datetime | None, day: dt.date) -> dt.datetime:
    """The new end keeps the old end's time of day (UTC), or 23:59:59 UTC."""
    time = current.astimezone(dt.UTC).timetz() if current else dt.time(23, 59, 59, tzinfo=dt.UTC)
    return dt.datetime.combine(day, time)


@transaction.atomic
def amendment_create(
    *,
    user: User | None,
    rationale: str,
    tender: Tender | None = None,
    contract: Contract | None = None,
    description: str = "",
    value_change: Money | None = None,
    new_period_end: dt.date | None = None,
    date: dt.datetime | None = None,
) -> Amendment:
    """Formally change a published tender or a signed contract (value and/or period end), with its rationale."""
    if (tender is None) == (contract is None):
        raise ValidationError(_("An amendment changes either a tender or a contract."), code="target")
    if not rationale.strip():
        raise ValidationError({"rationale": [_("An amendment needs a rationale.")]}, code="required")
    if value_change is None and new_period_end is None:
        raise ValidationError(_("An amendment changes the value or the period end."), code="empty")
    target_process = tender.process if tender is not None else contract.process  # type: ignore[union-attr]
    process = lock_process(target_process)
    _refuse_closed(process)
    changes: dict[str, tuple[Any, Any]] = {}
    target: Tender | Contract
    if tender is not None:
        target = tender = Tender.objects.get(pk=tender.pk)
        if not tender.is_published:
            raise ValidationError(_("An unpublished tender is edited directly, not amended."), code="not_published")
        if value_change is not None:
            current = tender.estimated_value or Money.zero(value_change.currency)
            new_value = current + value_change
            if new_value.amount < 0:
                raise ValidationError({"value_change": [_("The value may not become negative.")]}, code="negative")
            changes["estimated_value"] = (tender.estimated_value, new_value)
            tender.estimated_value_minor, tender.estimated_value_currency = new_value.minor, new_value.currency
        if new_period_end is not None:
            new_end = _end_of_day_like(tender.tender_end, new_period_end)
            changes["tender_end"] = (tender.tender_end, new_end)
            tender.tender_end = new_end
        tags = [ReleaseTag.TENDER_AMENDMENT]
    else:
        assert contract is not None
        target = contract = Contract.objects.prefetch_related("payments").get(pk=contract.pk)
        if not contract.is_signed:
            raise ValidationError(_("An unsigned contract is edited directly, not amended."), code="not_signed")
        if value_change is not None:
            new_value = contract.value + value_change  # raises CurrencyMismatchError across currencies
            paid = contract_paid(contract)
            if new_value < paid:
                raise ValidationError(
                    {"value_change": [_("The value may not fall below the amount paid (%(paid)s).") % {"paid": paid}]},
                    code="below_paid",
                )
            changes["value"] = (contract.value, new_value)
            contract.value_minor = new_value.minor
        if new_period_end is not None:
            changes["period_end"] = (contract.period_end, new_period_end)
            contract.period_end = new_period_end
        tags = [ReleaseTag.CONTRACT_AMENDMENT]
    target.full_clean()
    target.save()
    history_record(process=process, user=user, obj=target, action="amendment", changes=changes)
    _sequence, release_id, previous = next_release_id(process)
    amendment = Amendment(
        process=process,
        tender=tender,
        contract=contract,
        date=date or timezone.now(),
        rationale=rationale,
        description=description,
        value_change_minor=value_change.minor if value_change else None,
        value_change_currency=value_change.currency if value_change else target_currency(target),
        new_period_end=new_period_end,
        changes=[{"property": key, "former_value": _former(old)} for key, (old, _new) in changes.items()],
        amends_release_id=previous.release_id if previous else "",
        release_id=release_id,
        created_by=user,
    )
    amendment.full_clean()
    amendment.save()
    history_created(
        process=process,
        user=user,
        obj=amendment,
        fields=("rationale", "description", "value_change_minor", "value_change_currency", "new_period_end"),
    )
    release_append(process=process, tags=tags)
    return amendment


def target_currency(target: Tender | Contract) -> str:
    return target.estimated_value_currency if isinstance(target, Tender) else target.value_currency


def _former(value: Any) -> Any:
    if isinstance(value, Money):
        return value.as_dict()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
