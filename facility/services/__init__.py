"""Writes of the facility app: every create, update and workflow step goes through here."""

from facility.services.equipment import (
    WORK_ORDER_TRANSITIONS,
    equipment_create,
    equipment_update,
    work_order_acknowledge,
    work_order_cancel,
    work_order_check_equipment,
    work_order_open,
    work_order_resolve,
    work_order_update,
)
from facility.services.offices import (
    OFFICE_TRANSITIONS,
    office_activity_create,
    office_activity_update,
    office_check_organization,
    office_check_status_change,
    office_close,
    office_create,
    office_staff_create,
    office_staff_update,
    office_update,
)
from facility.services.organizations import (
    organization_create,
    organization_update,
    site_create,
    site_update,
)

__all__ = [
    "OFFICE_TRANSITIONS",
    "WORK_ORDER_TRANSITIONS",
    "equipment_create",
    "equipment_update",
    "office_activity_create",
    "office_activity_update",
    "office_check_organization",
    "office_check_status_change",
    "office_close",
    "office_create",
    "office_staff_create",
    "office_staff_update",
    "office_update",
    "organization_create",
    "organization_update",
    "site_create",
    "site_update",
    "work_order_acknowledge",
    "work_order_cancel",
    "work_order_check_equipment",
    "work_order_open",
    "work_order_resolve",
    "work_order_update",
]
