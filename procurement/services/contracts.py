"""Contracts, their signature and their milestones."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from procurement.choices import (
    AwardStatus,
    ContractStatus,
    MilestoneStatus,
    MilestoneType,
    ReleaseTag,
)
from procurement.models import (
    Award,
    Contract,
    ContractingProcess,
    Milestone,
)
from procurement.money import Money, money_columns, money_sum
from procurement.services.common import (
    S,
    check_fields,
    locked_change_refuse,
    refuse_closed,
    require_status,
    save_changes,
)
from procurement.services.history import history_created, history_diff, history_record, history_snapshot
from procurement.services.workflow import (
    process_lock,
    release_append,
    release_tag_next,
)

CONTRACT_FIELDS = ("number", "title", "value_minor", "value_currency", "period_start", "period_end")
# Signed contract: value and period change only through an Amendment.
CONTRACT_LOCKED = frozenset({"value_minor", "value_currency", "period_start", "period_end"})
MILESTONE_FIELDS = ("code", "title", "type", "due_date", "date_met", "status")


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


# --- contracts ---


def contract_locked_fields(contract: Contract) -> frozenset[str]:
    """The fields of the contract that change only through an amendment now (value and period, once signed)."""
    return CONTRACT_LOCKED if contract.is_signed else frozenset()


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
    published_at: dt.datetime | None = None,
) -> Contract:
    """Draft the contract of an active award; its value may not exceed the award's."""
    process = process_lock(award.process)
    require_status(process, [S.AWARDED, S.CONTRACTED], _("Recording a contract"))
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
    release_append(
        process=process,
        tags=[release_tag_next(process, ReleaseTag.CONTRACT, ReleaseTag.CONTRACT_UPDATE)],
        published_at=published_at,
    )
    return contract


@transaction.atomic
def contract_update(
    *,
    contract: Contract,
    user: User | None,
    published_at: dt.datetime | None = None,
    **fields: Unpack[ContractFields],
) -> Contract:
    """Change a contract; once signed its value and period answer `amendment_required`."""
    process = process_lock(contract.process)
    refuse_closed(process)
    contract = Contract.objects.select_related("award").get(pk=contract.pk)
    columns = money_columns(fields, "value", "value")
    check_fields(columns, CONTRACT_FIELDS)
    locked = contract_locked_fields(contract)
    locked_change_refuse(contract, columns, locked=locked)  # before the value is checked against the award
    if not contract.is_signed and ("value_minor" in columns or "value_currency" in columns):
        probe = Contract(value_minor=columns.get("value_minor", contract.value_minor))
        probe.value_currency = columns.get("value_currency", contract.value_currency)
        _check_within_award(probe, contract.award)
    if save_changes(contract, columns, process=process, user=user, locked=locked):
        release_append(
            process=process,
            tags=[release_tag_next(process, ReleaseTag.CONTRACT, ReleaseTag.CONTRACT_UPDATE)],
            published_at=published_at,
        )
    return contract


@transaction.atomic
def contract_sign(
    *, contract: Contract, user: User | None, signed_on: dt.date, published_at: dt.datetime | None = None
) -> Contract:
    """Record the signature: the contract becomes active and its value and period lock."""
    process = process_lock(contract.process)
    require_status(process, [S.AWARDED, S.CONTRACTED], _("Signing a contract"))
    contract = Contract.objects.get(pk=contract.pk)
    if contract.status != ContractStatus.PENDING:
        raise DomainError(
            _("Only a pending contract can be signed."), code="invalid_transition", allowed=[], status=contract.status
        )
    old = history_snapshot(contract, ("signed_on", "status"))
    contract.signed_on = signed_on
    contract.status = ContractStatus.ACTIVE
    contract.full_clean()
    contract.save()
    history_record(
        process=process,
        user=user,
        obj=contract,
        action="transition",
        changes=history_diff(old, history_snapshot(contract, ("signed_on", "status"))),
    )
    release_append(
        process=process,
        tags=[release_tag_next(process, ReleaseTag.CONTRACT, ReleaseTag.CONTRACT_UPDATE)],
        published_at=published_at,
    )
    return contract


def contract_paid_total(contract: Contract) -> Money:
    """The sum of the contract's payments (uses prefetched payments when present)."""
    return money_sum([p.value for p in contract.payments.all()], contract.value_currency)


# --- milestones ---


def release_tag_next_for_implementation(process: ContractingProcess) -> str:
    if process.status in (S.IMPLEMENTATION, S.COMPLETED):
        return release_tag_next(process, ReleaseTag.IMPLEMENTATION, ReleaseTag.IMPLEMENTATION_UPDATE)
    return release_tag_next(process, ReleaseTag.CONTRACT, ReleaseTag.CONTRACT_UPDATE)


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
    published_at: dt.datetime | None = None,
) -> Milestone:
    """Add a milestone (e.g. delivered, installed, site acceptance, warranty end) to a contract."""
    process = process_lock(contract.process)
    refuse_closed(process)
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
    release_append(process=process, tags=[release_tag_next_for_implementation(process)], published_at=published_at)
    return milestone


@transaction.atomic
def milestone_update(
    *,
    milestone: Milestone,
    user: User | None,
    published_at: dt.datetime | None = None,
    **fields: Unpack[MilestoneFields],
) -> Milestone:
    """Change a milestone; giving `date_met` alone marks it met."""
    process = process_lock(milestone.contract.process)
    refuse_closed(process)
    check_fields(fields, MILESTONE_FIELDS)
    if fields.get("date_met") and "status" not in fields:
        fields["status"] = MilestoneStatus.MET
    milestone = Milestone.objects.get(pk=milestone.pk)
    if save_changes(milestone, fields, process=process, user=user, locked=frozenset()):
        release_append(process=process, tags=[release_tag_next_for_implementation(process)], published_at=published_at)
    return milestone
