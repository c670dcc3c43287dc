"""The workflow graph of a contracting process, the guard of each step and its effects on the stage records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from procurement.choices import (
    AwardStatus,
    BidStatus,
    ContractStatus,
    MilestoneStatus,
    ProcessStatus,
    ReleaseTag,
    TenderStatus,
)
from procurement.models import Award, Bid, Contract, ContractingProcess, Milestone, Tender
from procurement.money import money_sum
from procurement.services.history import history_record
from procurement.services.workflow.releases import process_lock, release_append, release_date_next, release_tag_next

S = ProcessStatus

# The workflow graph of DESIGN.md 3.3: cancelled / unsuccessful from any step before contracted.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.PLANNING: (S.TENDER, S.CANCELLED, S.UNSUCCESSFUL),
    S.TENDER: (S.EVALUATION, S.CANCELLED, S.UNSUCCESSFUL),
    S.EVALUATION: (S.AWARDED, S.CANCELLED, S.UNSUCCESSFUL),
    S.AWARDED: (S.CONTRACTED, S.CANCELLED, S.UNSUCCESSFUL),
    S.CONTRACTED: (S.IMPLEMENTATION,),
    S.IMPLEMENTATION: (S.COMPLETED,),
    S.COMPLETED: (),
    S.CANCELLED: (),
    S.UNSUCCESSFUL: (),
}
TERMINAL = frozenset({S.COMPLETED, S.CANCELLED, S.UNSUCCESSFUL})


def _tender(process: ContractingProcess) -> Tender | None:
    return Tender.objects.filter(process=process).first()


def _guard_tender(process: ContractingProcess) -> str | None:
    tender = _tender(process)
    if tender is None:
        return _("A tender must be recorded before it can be published.")
    if tender.tender_start is None or tender.tender_end is None:
        return _("A tender needs a tender period (start and end).")
    return None


def _guard_evaluation(process: ContractingProcess) -> str | None:
    tender = _tender(process)
    if tender is None or tender.tender_end is None:
        return _("A tender needs a tender period (start and end).")
    if timezone.now() < tender.tender_end:
        return _("Evaluation starts after the tender period ends.")
    return None


def award_has_valid_bids(award: Award) -> bool:
    """Every supplier of the award submitted a valid bid to the process's tender."""
    suppliers = {org.pk for org in award.suppliers.all()}
    if not suppliers:
        return False
    bidders = set(
        Bid.objects.filter(tender__process_id=award.process_id, status=BidStatus.VALID).values_list(
            "tenderer_id", flat=True
        )
    )
    return suppliers <= bidders


def _guard_awarded(process: ContractingProcess) -> str | None:
    awards = Award.objects.filter(process=process, status__in=[AwardStatus.PENDING, AwardStatus.ACTIVE])
    if not awards.exists():
        return _("An award must be recorded first.")
    if not any(award_has_valid_bids(award) for award in awards.prefetch_related("suppliers")):
        return _("An award needs a valid bid from its supplier.")
    return None


def _guard_contracted(process: ContractingProcess) -> str | None:
    contracts = Contract.objects.filter(process=process, award__status=AwardStatus.ACTIVE).exclude(
        status=ContractStatus.CANCELLED
    )
    if not contracts.exists():
        return _("A contract needs an active award.")
    for contract in contracts.select_related("award"):
        if contract.value > contract.award.value:
            return _("The contract value exceeds the award value.")
    return None


def _guard_implementation(process: ContractingProcess) -> str | None:
    if not Contract.objects.filter(process=process, status=ContractStatus.ACTIVE, signed_on__isnull=False).exists():
        return _("Implementation needs a signed contract.")
    return None


def _guard_completed(process: ContractingProcess) -> str | None:
    contracts = list(
        Contract.objects.filter(process=process, status=ContractStatus.ACTIVE).prefetch_related("payments")
    )
    if not contracts:
        return _("Implementation needs a signed contract.")
    if Milestone.objects.filter(contract__in=contracts).exclude(status=MilestoneStatus.MET).exists():
        return _("Completion needs every milestone met.")
    for contract in contracts:
        paid = money_sum([p.value for p in contract.payments.all()], contract.value_currency)
        if paid != contract.value:
            return _("Completion needs payments equal to the contract value (paid %(paid)s of %(value)s).") % {
                "paid": paid,
                "value": contract.value,
            }
    return None


GUARDS: dict[str, Callable[[ContractingProcess], str | None]] = {
    S.TENDER: _guard_tender,
    S.EVALUATION: _guard_evaluation,
    S.AWARDED: _guard_awarded,
    S.CONTRACTED: _guard_contracted,
    S.IMPLEMENTATION: _guard_implementation,
    S.COMPLETED: _guard_completed,
}


def process_transitions_allowed(process: ContractingProcess) -> list[str]:
    """The statuses the process may move to now: in the graph and with its guard satisfied."""
    return [to for to in TRANSITIONS[process.status] if (guard := GUARDS.get(to)) is None or guard(process) is None]


def process_transitions_next(process: ContractingProcess) -> list[tuple[str, str | None]]:
    """Every step the graph offers from the current status, with why it is not possible yet (None: possible now)."""
    return [(to, guard(process) if (guard := GUARDS.get(to)) else None) for to in TRANSITIONS[process.status]]


# --- effects of each step on the stage records (statuses per the OCDS codelists) ---


def _set_status(obj: Any, status: str, *, process: ContractingProcess, user: User | None) -> None:
    if obj.status != status:
        old = obj.status
        obj.status = status
        obj.save(update_fields=["status"])
        history_record(process=process, user=user, obj=obj, action="transition", changes={"status": (old, status)})


def _effects(process: ContractingProcess, to: str, user: User | None, date: dt.datetime | None) -> list[str]:
    """Apply the step to the stage records and return the release tags (`date`: when the step was published)."""
    tender = _tender(process)
    if to == S.TENDER:
        assert tender is not None
        assert date is not None
        tender.published_at = date
        tender.save(update_fields=["published_at"])
        _set_status(tender, TenderStatus.ACTIVE, process=process, user=user)
        return [ReleaseTag.TENDER]
    if to == S.EVALUATION:
        return [release_tag_next(process, ReleaseTag.TENDER, ReleaseTag.TENDER_UPDATE)]
    if to == S.AWARDED:
        for award in Award.objects.filter(process=process, status=AwardStatus.PENDING).prefetch_related("suppliers"):
            status = AwardStatus.ACTIVE if award_has_valid_bids(award) else AwardStatus.UNSUCCESSFUL
            _set_status(award, status, process=process, user=user)
        if tender is not None:
            _set_status(tender, TenderStatus.COMPLETE, process=process, user=user)
        return [release_tag_next(process, ReleaseTag.AWARD, ReleaseTag.AWARD_UPDATE)]
    if to == S.CONTRACTED:
        return [release_tag_next(process, ReleaseTag.CONTRACT, ReleaseTag.CONTRACT_UPDATE)]
    if to == S.IMPLEMENTATION:
        return [release_tag_next(process, ReleaseTag.IMPLEMENTATION, ReleaseTag.IMPLEMENTATION_UPDATE)]
    if to == S.COMPLETED:
        for contract in Contract.objects.filter(process=process, status=ContractStatus.ACTIVE):
            _set_status(contract, ContractStatus.TERMINATED, process=process, user=user)
        return [ReleaseTag.CONTRACT_TERMINATION]
    # cancelled or unsuccessful, before any contract is in force
    award_status = AwardStatus.CANCELLED if to == S.CANCELLED else AwardStatus.UNSUCCESSFUL
    for award in Award.objects.filter(process=process, status__in=[AwardStatus.PENDING, AwardStatus.ACTIVE]):
        _set_status(award, award_status, process=process, user=user)
    for contract in Contract.objects.filter(process=process, status=ContractStatus.PENDING):
        _set_status(contract, ContractStatus.CANCELLED, process=process, user=user)
    if tender is None:
        return [release_tag_next(process, ReleaseTag.PLANNING, ReleaseTag.PLANNING_UPDATE)]
    tender_status = TenderStatus.CANCELLED if to == S.CANCELLED else TenderStatus.UNSUCCESSFUL
    _set_status(tender, tender_status, process=process, user=user)
    if to == S.CANCELLED:
        return [ReleaseTag.TENDER_CANCELLATION]
    return [release_tag_next(process, ReleaseTag.TENDER, ReleaseTag.TENDER_UPDATE)]


@transaction.atomic
def process_transition(
    *,
    process: ContractingProcess,
    to: str,
    user: User | None,
    note: str = "",
    published_at: dt.datetime | None = None,
) -> ContractingProcess:
    """Move the process one step along the workflow; an illegal step raises `invalid_transition`, changing nothing.

    `published_at`: when the step was first published (e.g. the bid notice in the national e-procurement system);
    it dates the step's release and, for `tender`, the tender's publication.
    """
    process = process_lock(process)
    graph = TRANSITIONS.get(process.status, ())
    if to not in graph:
        raise DomainError(
            _("Cannot move a process from %(from)s to %(to)s.") % {"from": process.status, "to": to},
            code="invalid_transition",
            allowed=process_transitions_allowed(process),
        )
    guard = GUARDS.get(to)
    problem = guard(process) if guard else None
    if problem:
        raise DomainError(problem, code="invalid_transition", allowed=process_transitions_allowed(process))
    old = process.status
    if to == S.TENDER:  # the tender's publication and its release carry the same date
        published_at = release_date_next(process, published_at)
    tags = _effects(process, to, user, published_at)
    process.status = to
    process.full_clean()
    process.save(update_fields=["status", "updated_at"])
    changes: dict[str, tuple[Any, Any]] = {"status": (old, to)}
    if note:
        changes["note"] = (None, note)
    history_record(process=process, user=user, obj=process, action="transition", changes=changes)
    release_append(process=process, tags=tags, published_at=published_at)
    return process
