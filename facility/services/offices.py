"""Writes for regional offices, their staff and their activities."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict, Unpack

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from facility.choices import (
    UNFINISHED_WORK_ORDER_STATUSES,
    OfficeStatus,
    OrganizationKind,
)
from facility.models import (
    OfficeActivity,
    OfficeStaff,
    Organization,
    RegionalOffice,
    WorkOrder,
)
from facility.services.common import assign, field_error, save, stored_value

# An office is planned, then opened, then closed (a planned office may also be abandoned).
OFFICE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    OfficeStatus.PLANNED: (OfficeStatus.OPEN, OfficeStatus.CLOSED),
    OfficeStatus.OPEN: (OfficeStatus.CLOSED,),
    OfficeStatus.CLOSED: (),
}


class OfficeFields(TypedDict, total=False):
    """The fields `office_create` and `office_update` take (the model checks what is required)."""

    organization: Organization
    name: str
    city: str
    country: str
    time_zone: str
    opened_on: dt.date | None
    closed_on: dt.date | None
    status: str
    head: User | None
    notes: str


class OfficeStaffFields(TypedDict, total=False):
    """The fields `office_staff_create` and `office_staff_update` take."""

    office: RegionalOffice
    user: User
    role: str
    since: dt.date
    until: dt.date | None


class OfficeActivityFields(TypedDict, total=False):
    """The fields `office_activity_create` and `office_activity_update` take."""

    office: RegionalOffice
    kind: str
    title: str
    start: dt.datetime
    end: dt.datetime
    organization: Organization | None
    participants: int
    notes: str


OFFICE_FIELDS = frozenset(OfficeFields.__annotations__)
OFFICE_STAFF_FIELDS = frozenset(OfficeStaffFields.__annotations__)
ACTIVITY_FIELDS = frozenset(OfficeActivityFields.__annotations__)


# Regional offices, their staff and activities


def office_check_organization(organization: Organization | None) -> None:
    """A regional office belongs to a vendor."""
    if organization is not None and organization.kind != OrganizationKind.VENDOR:
        raise field_error("organization", _("A regional office belongs to a vendor organisation."), "not_vendor")


def _office_open_work_orders(office: RegionalOffice) -> list[int]:
    return list(
        WorkOrder.objects.filter(office=office, status__in=UNFINISHED_WORK_ORDER_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def office_check_status_change(*, office: RegionalOffice, old_status: str | None, new_status: str) -> None:
    """Refuse a status step the office life cycle does not allow, or closing with unfinished work orders."""
    if old_status is None or old_status == new_status:
        if old_status is None and new_status == OfficeStatus.CLOSED:
            raise DomainError(
                _("A new office cannot start closed."), code="invalid_transition", allowed=[str(OfficeStatus.PLANNED)]
            )
        return
    allowed = OFFICE_TRANSITIONS[old_status]
    if new_status not in allowed:
        raise DomainError(
            _("An office cannot go from %(old)s to %(new)s.") % {"old": old_status, "new": new_status},
            code="invalid_transition",
            allowed=[str(s) for s in allowed],
        )
    if new_status == OfficeStatus.CLOSED:
        open_ids = _office_open_work_orders(office)
        if open_ids:
            raise DomainError(
                _("The office still has %(count)d open work orders; resolve, cancel or reassign them first.")
                % {"count": len(open_ids)},
                code="office_has_open_work_orders",
                work_orders=open_ids,
            )


def _office_save(office: RegionalOffice) -> RegionalOffice:
    office_check_organization(office.organization if office.organization_id else None)
    office_check_status_change(office=office, old_status=stored_value(office, "status"), new_status=office.status)
    if office.status == OfficeStatus.OPEN and office.opened_on is None:
        office.opened_on = timezone.localdate()
    if office.status == OfficeStatus.CLOSED and office.closed_on is None:
        office.closed_on = timezone.localdate()
    save(office)
    return office


@transaction.atomic
def office_create(**fields: Unpack[OfficeFields]) -> RegionalOffice:
    """Create a regional office of a vendor (planned, or open with its opening date)."""
    office = RegionalOffice()
    assign(office, fields, OFFICE_FIELDS)
    return _office_save(office)


@transaction.atomic
def office_update(*, office: RegionalOffice, **fields: Unpack[OfficeFields]) -> RegionalOffice:
    """Change an office; a status change follows the life cycle (closing checks the work orders)."""
    assign(office, fields, OFFICE_FIELDS)
    return _office_save(office)


@transaction.atomic
def office_close(*, office: RegionalOffice, closed_on: dt.date | None = None) -> RegionalOffice:
    """Close an office; refused while it is responsible for open or acknowledged work orders."""
    # Lock the office so a work order cannot be assigned to it between the check and the close.
    office = RegionalOffice.objects.select_for_update().select_related("organization").get(pk=office.pk)
    if office.status == OfficeStatus.CLOSED:
        raise DomainError(_("The office is already closed."), code="invalid_transition", allowed=[])
    office.status = OfficeStatus.CLOSED
    office.closed_on = closed_on or timezone.localdate()
    return _office_save(office)


@transaction.atomic
def office_staff_create(**fields: Unpack[OfficeStaffFields]) -> OfficeStaff:
    """Add a person to an office's staff for a period."""
    member = OfficeStaff()
    assign(member, fields, OFFICE_STAFF_FIELDS)
    save(member)
    return member


@transaction.atomic
def office_staff_update(*, member: OfficeStaff, **fields: Unpack[OfficeStaffFields]) -> OfficeStaff:
    """Change a staff record (e.g. set `until` when someone leaves)."""
    assign(member, fields, OFFICE_STAFF_FIELDS)
    save(member)
    return member


def _activity_check_office(activity: OfficeActivity) -> None:
    if activity.office_id is not None and activity.office.status == OfficeStatus.CLOSED:
        closed_on = activity.office.closed_on
        if closed_on is not None and activity.start.date() > closed_on:
            raise field_error("office", _("The office was closed before this activity."), "office_closed")


@transaction.atomic
def office_activity_create(**fields: Unpack[OfficeActivityFields]) -> OfficeActivity:
    """Record a training, workshop, site visit, meeting or support call of an office."""
    activity = OfficeActivity()
    assign(activity, fields, ACTIVITY_FIELDS)
    _activity_check_office(activity)
    save(activity)
    return activity


@transaction.atomic
def office_activity_update(*, activity: OfficeActivity, **fields: Unpack[OfficeActivityFields]) -> OfficeActivity:
    """Change an office activity."""
    assign(activity, fields, ACTIVITY_FIELDS)
    _activity_check_office(activity)
    save(activity)
    return activity
