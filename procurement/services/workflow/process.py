"""Creating and updating a contracting process."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict, Unpack

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from facility.models import Organization
from procurement.choices import (
    ReleaseTag,
)
from procurement.models import ContractingProcess
from procurement.money import Money, money_columns
from procurement.services.history import history_created, history_diff, history_record, history_snapshot
from procurement.services.workflow.releases import process_lock, release_append, release_tag_next
from procurement.services.workflow.transitions import TERMINAL

PROCESS_FIELDS = (
    "title",
    "description",
    "buyer",
    "procuring_entity",
    "main_category",
    "method",
    "method_details",
    "foreign_procurement",
    "international_tender",
    "plan_number",
    "request_number",
    "prespec_number",
    "notice_number",
    "notice_order",
    "contract_number",
    "budget_minor",
    "budget_currency",
    "fiscal_year",
    "funding_source",
    "project_name",
    "notes",
)


class ProcessNumbers(TypedDict, total=False):
    """The Korean process numbers, as the API groups them."""

    plan: str
    request: str
    prespec: str
    notice: str
    notice_order: str
    contract: str


class ProcessDetails(TypedDict, total=False):
    """What `process_create` takes besides title, buyer and procuring entity."""

    description: str
    main_category: str
    method: str
    method_details: str
    foreign_procurement: bool
    international_tender: bool
    numbers: ProcessNumbers
    budget: Money | None
    fiscal_year: int | None
    funding_source: str
    project_name: str
    notes: str


class ProcessFields(ProcessDetails, total=False):
    """What `process_update` may change (not the status: that is a workflow step)."""

    title: str
    buyer: Organization
    procuring_entity: Organization


NUMBER_FIELDS = {
    "plan": "plan_number",
    "request": "request_number",
    "prespec": "prespec_number",
    "notice": "notice_number",
    "notice_order": "notice_order",
    "contract": "contract_number",
}


# --- OCDS release chain ---


def _ocid(process: ContractingProcess) -> str:
    return f"{settings.OCDS_PREFIX}-{process.pk}"


def _process_fields(given: ProcessDetails) -> dict[str, Any]:
    fields: dict[str, Any] = dict(given)
    for key, column in NUMBER_FIELDS.items():
        if key in (numbers := fields.get("numbers") or {}):
            fields[column] = numbers[key]
    fields.pop("numbers", None)
    fields = money_columns(fields, "budget", "budget")
    unknown = set(fields) - set(PROCESS_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    return fields


@transaction.atomic
def process_create(
    *,
    user: User | None,
    title: str,
    buyer: Organization,
    procuring_entity: Organization,
    published_at: dt.datetime | None = None,
    **fields: Unpack[ProcessDetails],
) -> ContractingProcess:
    """Create a process in `planning`, give it its ocid and publish the planning release."""
    process = ContractingProcess(title=title, buyer=buyer, procuring_entity=procuring_entity)
    for key, value in _process_fields(fields).items():
        setattr(process, key, value)
    process.full_clean()
    process.save()
    process.ocid = _ocid(process)
    process.save(update_fields=["ocid"])
    history_created(process=process, user=user, obj=process, fields=("ocid", "status", *PROCESS_FIELDS))
    release_append(process=process, tags=[ReleaseTag.PLANNING], published_at=published_at)
    return process


@transaction.atomic
def process_update(
    *,
    process: ContractingProcess,
    user: User | None,
    published_at: dt.datetime | None = None,
    **fields: Unpack[ProcessFields],
) -> ContractingProcess:
    """Change the process's own fields (not its status); a closed process is read-only."""
    process = process_lock(process)
    if process.status in TERMINAL:
        raise DomainError(_("A closed contracting process cannot be changed."), code="invalid_transition", allowed=[])
    columns = _process_fields(fields)
    before = history_snapshot(process, columns)
    for key, value in columns.items():
        setattr(process, key, value)
    process.full_clean()
    changes = history_diff(before, history_snapshot(process, columns))
    if not changes:
        return process
    process.save()
    history_record(process=process, user=user, obj=process, action="update", changes=changes)
    release_append(
        process=process,
        tags=[release_tag_next(process, ReleaseTag.PLANNING, ReleaseTag.PLANNING_UPDATE)],
        published_at=published_at,
    )
    return process


# --- guards: each returns why the step is not allowed now, or None ---
