"""The tender of a process, its items and its bids."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from facility.models import Organization
from procurement.choices import (
    BidStatus,
    ReleaseTag,
    TenderStatus,
)
from procurement.models import (
    Bid,
    ContractingProcess,
    Tender,
    TenderItem,
)
from procurement.money import Money, money_columns
from procurement.services.common import (
    S,
    check_fields,
    refuse_closed,
    require_status,
    save_changes,
)
from procurement.services.history import history_created
from procurement.services.workflow import (
    process_lock,
    release_append,
    release_tag_next,
)

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


# --- tender ---


def tender_locked_fields(tender: Tender) -> frozenset[str]:
    """The fields of the tender that change only through an amendment now (its core fields, once published)."""
    return TENDER_LOCKED if tender.is_published else frozenset()


def release_tag_next_for_tender(process: ContractingProcess) -> str:
    if process.status == S.PLANNING:
        return release_tag_next(process, ReleaseTag.PLANNING, ReleaseTag.PLANNING_UPDATE)
    return release_tag_next(process, ReleaseTag.TENDER, ReleaseTag.TENDER_UPDATE)


def _item_create(*, tender: Tender, user: User | None, item: TenderItemFields) -> TenderItem:
    check_fields(item, TENDER_ITEM_FIELDS)
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
    published_at: dt.datetime | None = None,
    **fields: Unpack[TenderDetails],
) -> Tender:
    """Record the planned tender of a process (in planning; it is published by the `tender` step)."""
    process = process_lock(process)
    require_status(process, [S.PLANNING], _("Recording a tender"))
    if Tender.objects.filter(process=process).exists():
        raise ValidationError({"process": [_("This process already has a tender.")]}, code="unique")
    columns = money_columns(fields, "estimated_value", "estimated_value")
    check_fields(columns, TENDER_FIELDS)
    tender = Tender(process=process, title=title, status=TenderStatus.PLANNED, **columns)
    tender.full_clean()
    tender.save()
    history_created(process=process, user=user, obj=tender, fields=("status", *TENDER_FIELDS))
    for item in items:
        _item_create(tender=tender, user=user, item=item)
    release_append(process=process, tags=[release_tag_next_for_tender(process)], published_at=published_at)
    return tender


@transaction.atomic
def tender_update(
    *, tender: Tender, user: User | None, published_at: dt.datetime | None = None, **fields: Unpack[TenderFields]
) -> Tender:
    """Change a tender; once published its core fields answer `amendment_required`."""
    process = process_lock(tender.process)
    refuse_closed(process)
    tender = Tender.objects.get(pk=tender.pk)
    columns = money_columns(fields, "estimated_value", "estimated_value")
    check_fields(columns, TENDER_FIELDS)
    locked = tender_locked_fields(tender)
    if save_changes(tender, columns, process=process, user=user, locked=locked):
        release_append(process=process, tags=[release_tag_next_for_tender(process)], published_at=published_at)
    return tender


@transaction.atomic
def tender_item_create(
    *, tender: Tender, user: User | None, published_at: dt.datetime | None = None, **item: Unpack[TenderItemFields]
) -> TenderItem:
    """Add an item to an unpublished tender (after publication the item list needs an amendment)."""
    process = process_lock(tender.process)
    refuse_closed(process)
    if Tender.objects.get(pk=tender.pk).is_published:
        raise DomainError(
            _("The tender is published; its items change only through an amendment."),
            code="amendment_required",
            fields=["items"],
        )
    obj = _item_create(tender=tender, user=user, item=item)
    release_append(process=process, tags=[release_tag_next_for_tender(process)], published_at=published_at)
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
    published_at: dt.datetime | None = None,
) -> Bid:
    """Record a bid on a published tender; it must have been submitted within the tender period."""
    process = process_lock(tender.process)
    require_status(process, [S.TENDER, S.EVALUATION], _("Recording a bid"))
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
    release_append(process=process, tags=[release_tag_next_for_tender(process)], published_at=published_at)
    return bid


@transaction.atomic
def bid_update(
    *, bid: Bid, user: User | None, published_at: dt.datetime | None = None, **fields: Unpack[BidFields]
) -> Bid:
    """Evaluate a bid: its status (valid, disqualified, withdrawn) and rank."""
    process = process_lock(bid.tender.process)
    require_status(process, [S.TENDER, S.EVALUATION], _("Evaluating a bid"))
    check_fields(fields, ("status", "rank"))
    bid = Bid.objects.get(pk=bid.pk)
    if save_changes(bid, fields, process=process, user=user, locked=frozenset()):
        release_append(process=process, tags=[release_tag_next_for_tender(process)], published_at=published_at)
    return bid
