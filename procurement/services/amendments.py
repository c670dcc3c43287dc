"""Amendments: the only way to change a published tender or a signed contract."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from procurement.choices import ReleaseTag
from procurement.models import (
    Amendment,
    Contract,
    Tender,
)
from procurement.money import Money
from procurement.services.common import refuse_closed
from procurement.services.contracts import contract_paid_total
from procurement.services.history import history_created, history_record
from procurement.services.workflow import (
    process_lock,
    release_append,
    release_id_next,
)


def _end_of_day_like(current: dt.datetime | None, day: dt.date) -> dt.datetime:
    """The new end keeps the old end's time of day (UTC), or 23:59:59 UTC."""
    time = current.astimezone(dt.UTC).timetz() if current else dt.time(23, 59, 59, tzinfo=dt.UTC)
    return dt.datetime.combine(day, time)


def _tender_amend(
    tender: Tender, *, value_change: Money | None, new_period_end: dt.date | None
) -> dict[str, tuple[Any, Any]]:
    """Apply the change to a published tender (unsaved); the changed fields as (old, new)."""
    changes: dict[str, tuple[Any, Any]] = {}
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
    return changes


def _contract_amend(
    contract: Contract, *, value_change: Money | None, new_period_end: dt.date | None
) -> dict[str, tuple[Any, Any]]:
    """Apply the change to a signed contract (unsaved; never below what was paid); the changed fields as (old, new)."""
    changes: dict[str, tuple[Any, Any]] = {}
    if not contract.is_signed:
        raise ValidationError(_("An unsigned contract is edited directly, not amended."), code="not_signed")
    if value_change is not None:
        new_value = contract.value + value_change  # raises CurrencyMismatchError across currencies
        paid = contract_paid_total(contract)
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
    return changes


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
    published_at: dt.datetime | None = None,
) -> Amendment:
    """Formally change a published tender or a signed contract (value and/or period end), with its rationale."""
    if (tender is None) == (contract is None):
        raise ValidationError(_("An amendment changes either a tender or a contract."), code="target")
    if not rationale.strip():
        raise ValidationError({"rationale": [_("An amendment needs a rationale.")]}, code="required")
    if value_change is None and new_period_end is None:
        raise ValidationError(_("An amendment changes the value or the period end."), code="empty")
    target_process = tender.process if tender is not None else contract.process  # type: ignore[union-attr]
    process = process_lock(target_process)
    refuse_closed(process)
    changes: dict[str, tuple[Any, Any]]
    target: Tender | Contract
    if tender is not None:
        target = tender = Tender.objects.get(pk=tender.pk)
        changes = _tender_amend(tender, value_change=value_change, new_period_end=new_period_end)
        tags = [ReleaseTag.TENDER_AMENDMENT]
    else:
        assert contract is not None
        target = contract = Contract.objects.prefetch_related("payments").get(pk=contract.pk)
        changes = _contract_amend(contract, value_change=value_change, new_period_end=new_period_end)
        tags = [ReleaseTag.CONTRACT_AMENDMENT]
    target.full_clean()
    target.save()
    history_record(process=process, user=user, obj=target, action="amendment", changes=changes)
    _sequence, release_id, previous = release_id_next(process)
    amendment = Amendment(
        process=process,
        tender=tender,
        contract=contract,
        date=date or timezone.now(),
        rationale=rationale,
        description=description,
        value_change_minor=value_change.minor if value_change else None,
        value_change_currency=value_change.currency if value_change else _target_currency(target),
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
    release_append(process=process, tags=tags, published_at=published_at)
    return amendment


def _target_currency(target: Tender | Contract) -> str:
    return target.estimated_value_currency if isinstance(target, Tender) else target.value_currency


def _former(value: Any) -> Any:
    if isinstance(value, Money):
        return value.as_dict()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
