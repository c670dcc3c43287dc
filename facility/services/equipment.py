"""Writes for equipment and its work orders (the CMMS life cycle)."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from facility.choices import (
    EquipmentStatus,
    OfficeStatus,
    WorkOrderStatus,
)
from facility.models import (
    Equipment,
    RegionalOffice,
    Site,
    WorkOrder,
)
from facility.services.common import assign, field_error, save, stored_value

# The work-order life cycle: open -> acknowledged -> resolved, and cancelled from either unfinished state.
WORK_ORDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    WorkOrderStatus.OPEN: (WorkOrderStatus.ACKNOWLEDGED, WorkOrderStatus.CANCELLED),
    WorkOrderStatus.ACKNOWLEDGED: (WorkOrderStatus.RESOLVED, WorkOrderStatus.CANCELLED),
    WorkOrderStatus.RESOLVED: (),
    WorkOrderStatus.CANCELLED: (),
}


class EquipmentFields(TypedDict, total=False):
    """The fields `equipment_create` and `equipment_update` take (the model checks what is required)."""

    site: Site
    name: str
    kind: str
    manufacturer: str
    model: str
    serial_number: str
    installed_on: dt.date | None
    warranty_until: dt.date | None
    status: str
    contract_id: int | None
    contract_number: str
    notes: str


class WorkOrderFields(TypedDict, total=False):
    """What `work_order_update` may change: status and the audit times move only through the workflow services,
    and the equipment is fixed at opening."""

    kind: str
    title: str
    description: str
    office: RegionalOffice | None
    assignee: User | None
    due_date: dt.date | None


EQUIPMENT_FIELDS = frozenset(EquipmentFields.__annotations__)
WORK_ORDER_EDITABLE_FIELDS = frozenset(WorkOrderFields.__annotations__)


# Equipment


@transaction.atomic
def equipment_create(**fields: Unpack[EquipmentFields]) -> Equipment:
    """Register a piece of equipment at a site."""
    equipment = Equipment()
    assign(equipment, fields, EQUIPMENT_FIELDS)
    save(equipment)
    return equipment


@transaction.atomic
def equipment_update(*, equipment: Equipment, **fields: Unpack[EquipmentFields]) -> Equipment:
    """Change a piece of equipment; once retired it stays retired."""
    old_status = stored_value(equipment, "status")
    assign(equipment, fields, EQUIPMENT_FIELDS)
    if old_status == EquipmentStatus.RETIRED and equipment.status != EquipmentStatus.RETIRED:
        raise DomainError(
            _("Retired equipment cannot be put back into service; register it again."),
            code="invalid_transition",
            allowed=[],
        )
    save(equipment)
    return equipment


# Work orders


def work_order_check_equipment(equipment: Equipment) -> None:
    """A retired piece of equipment takes no new work orders."""
    if equipment.status == EquipmentStatus.RETIRED:
        raise field_error(
            "equipment",
            _("%(name)s is retired and takes no new work orders.") % {"name": equipment.name},
            "equipment_retired",
        )


def _work_order_check_office(office: RegionalOffice | None) -> None:
    if office is not None and office.status == OfficeStatus.CLOSED:
        raise field_error(
            "office", _("%(name)s is closed and takes no new work orders.") % {"name": office.name}, "office_closed"
        )


def _when(at: dt.datetime | None) -> dt.datetime:
    when = at or timezone.now()
    if timezone.is_naive(when):
        raise ValidationError(_("Times must carry a time zone."), code="naive_datetime")
    if when > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError(_("A work order step cannot be recorded in the future."), code="future")
    return when


@transaction.atomic
def work_order_open(
    *,
    equipment: Equipment,
    kind: str,
    title: str,
    user: User | None,
    description: str = "",
    office: RegionalOffice | None = None,
    assignee: User | None = None,
    due_date: dt.date | None = None,
    opened_at: dt.datetime | None = None,
) -> WorkOrder:
    """Open a work order on a piece of equipment (refused for retired equipment or a closed office)."""
    # Lock the equipment row so it cannot be retired between the check and the insert.
    equipment = Equipment.objects.select_for_update().get(pk=equipment.pk)
    work_order_check_equipment(equipment)
    if office is not None:
        office = RegionalOffice.objects.select_for_update().get(pk=office.pk)
    _work_order_check_office(office)
    work_order = WorkOrder(
        equipment=equipment,
        kind=kind,
        title=title,
        description=description,
        office=office,
        assignee=assignee,
        due_date=due_date,
        status=WorkOrderStatus.OPEN,
        opened_at=_when(opened_at),
        opened_by=user,
    )
    save(work_order)
    return work_order


@transaction.atomic
def work_order_update(*, work_order: WorkOrder, **fields: Unpack[WorkOrderFields]) -> WorkOrder:
    """Change the descriptive fields of a work order (not its status or audit times)."""
    old_office_id = stored_value(work_order, "office_id")
    assign(work_order, fields, WORK_ORDER_EDITABLE_FIELDS)
    if work_order.office_id != old_office_id:
        _work_order_check_office(work_order.office)
    save(work_order)
    return work_order


def _work_order_step(work_order: WorkOrder, to: str) -> WorkOrder:
    # Lock the row and read its current status so two people cannot both move it.
    locked = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    allowed = WORK_ORDER_TRANSITIONS[locked.status]
    if to not in allowed:
        raise DomainError(
            _("A %(status)s work order cannot become %(to)s.") % {"status": locked.status, "to": to},
            code="invalid_transition",
            status=locked.status,
            allowed=[str(s) for s in allowed],
        )
    return locked


def _work_order_check_after(when: dt.datetime, earliest: dt.datetime | None, field: str, message: str) -> None:
    if earliest is not None and when < earliest:
        raise field_error(field, message, "before_previous_step")


@transaction.atomic
def work_order_acknowledge(
    *, work_order: WorkOrder, user: User, at: dt.datetime | None = None, assignee: User | None = None
) -> WorkOrder:
    """Acknowledge an open work order: someone has it (records who and when)."""
    locked = _work_order_step(work_order, WorkOrderStatus.ACKNOWLEDGED)
    when = _when(at)
    _work_order_check_after(
        when, locked.opened_at, "acknowledged_at", _("A work order cannot be acknowledged before it was opened.")
    )
    locked.status = WorkOrderStatus.ACKNOWLEDGED
    locked.acknowledged_at = when
    locked.acknowledged_by = user
    if assignee is not None:
        locked.assignee = assignee
    elif locked.assignee_id is None:
        locked.assignee = user
    save(locked)
    return locked


@transaction.atomic
def work_order_resolve(
    *, work_order: WorkOrder, user: User, resolution: str = "", at: dt.datetime | None = None
) -> WorkOrder:
    """Resolve an acknowledged work order with what was done (records who and when)."""
    locked = _work_order_step(work_order, WorkOrderStatus.RESOLVED)
    when = _when(at)
    _work_order_check_after(
        when, locked.opened_at, "resolved_at", _("A work order cannot be resolved before it was opened.")
    )
    _work_order_check_after(
        when,
        locked.acknowledged_at,
        "resolved_at",
        _("A work order cannot be resolved before it was acknowledged."),
    )
    locked.status = WorkOrderStatus.RESOLVED
    locked.resolved_at = when
    locked.resolved_by = user
    locked.resolution = resolution
    save(locked)
    return locked


@transaction.atomic
def work_order_cancel(
    *, work_order: WorkOrder, user: User, reason: str = "", at: dt.datetime | None = None
) -> WorkOrder:
    """Cancel an unfinished work order (records who, when and why)."""
    locked = _work_order_step(work_order, WorkOrderStatus.CANCELLED)
    when = _when(at)
    _work_order_check_after(
        when, locked.opened_at, "cancelled_at", _("A work order cannot be cancelled before it was opened.")
    )
    locked.status = WorkOrderStatus.CANCELLED
    locked.cancelled_at = when
    locked.cancelled_by = user
    if reason:
        locked.resolution = reason
    save(locked)
    return locked
