"""Services: each rule is broken on purpose and nothing changes."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import DomainError
from facility import services
from facility.choices import EquipmentStatus, OfficeStatus, OrganizationKind, WorkOrderKind, WorkOrderStatus
from facility.models import Equipment, OfficeActivity, Organization, RegionalOffice, Site, WorkOrder
from tests.factories import (
    EquipmentFactory,
    OrganizationFactory,
    RegionalOfficeFactory,
    StaffFactory,
    VendorFactory,
    WorkOrderFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def engineer(db):
    return StaffFactory.create(username="engineer")


@pytest.fixture
def work_order(equipment, office, engineer):
    with time_machine.travel(NOW, tick=False):
        return services.work_order_open(
            equipment=equipment, kind=WorkOrderKind.CORRECTIVE, title="Helium alarm", user=engineer, office=office
        )


def test_organization_create_validates_and_saves():
    parent = OrganizationFactory.create(name="CBNU")
    org = services.organization_create(name="CBQRC", kind=OrganizationKind.RESEARCH_CENTRE, country="KR", parent=parent)
    assert org.parent == parent


def test_organization_create_refuses_unknown_country():
    with pytest.raises(ValidationError) as exc:
        services.organization_create(name="Nowhere", kind=OrganizationKind.OTHER, country="XX")
    assert "country" in exc.value.message_dict
    assert not Organization.objects.filter(name="Nowhere").exists()


def test_organization_update_refuses_a_parent_cycle():
    top = OrganizationFactory.create(name="Top")
    child = OrganizationFactory.create(name="Child", parent=top)
    with pytest.raises(ValidationError) as exc:
        services.organization_update(organization=top, parent=child)
    assert "parent" in exc.value.message_dict
    top.refresh_from_db()
    assert top.parent is None


def test_unknown_fields_are_refused():
    # mypy refuses this call; the run-time guard is for untyped callers (a serializer's validated data).
    org = OrganizationFactory.create()
    with pytest.raises(ValidationError):
        services.organization_update(organization=org, created_at=timezone.now())  # type: ignore[call-arg]


def test_site_create_refuses_a_bad_time_zone():
    with pytest.raises(ValidationError) as exc:
        services.site_create(
            organization=OrganizationFactory.create(),
            name="Lab",
            city="Cheongju",
            country="KR",
            time_zone="Asia/Cheongju",
        )
    assert "time_zone" in exc.value.message_dict
    assert not Site.objects.exists()


def test_office_belongs_to_a_vendor():
    university = OrganizationFactory.create(kind=OrganizationKind.UNIVERSITY)
    with pytest.raises(ValidationError) as exc:
        services.office_create(
            organization=university, name="Seoul", city="Seoul", country="KR", time_zone="Asia/Seoul"
        )
    assert "organization" in exc.value.message_dict
    assert not RegionalOffice.objects.exists()


def test_opening_an_office_sets_its_opening_date():
    office = services.office_create(
        organization=VendorFactory.create(), name="Seoul", city="Seoul", country="KR", time_zone="Asia/Seoul"
    )
    assert office.status == OfficeStatus.PLANNED
    with time_machine.travel(NOW, tick=False):
        office = services.office_update(office=office, status=OfficeStatus.OPEN)
    assert office.opened_on == dt.date(2026, 3, 10)


def test_office_cannot_be_closed_while_it_has_open_work_orders(office, work_order):
    with pytest.raises(DomainError) as exc:
        services.office_close(office=office)
    assert exc.value.code == "office_has_open_work_orders"
    assert exc.value.extra["work_orders"] == [work_order.pk]
    office.refresh_from_db()
    assert office.status == OfficeStatus.OPEN
    assert office.closed_on is None


def test_office_cannot_be_closed_by_update_either(office, work_order, engineer):
    services.work_order_acknowledge(work_order=work_order, user=engineer)  # acknowledged is still unfinished
    with pytest.raises(DomainError):
        services.office_update(office=office, status=OfficeStatus.CLOSED)
    assert RegionalOffice.objects.get(pk=office.pk).status == OfficeStatus.OPEN


def test_office_closes_once_its_work_orders_are_done(office, work_order, engineer):
    services.work_order_cancel(work_order=work_order, user=engineer, reason="Duplicate")
    with time_machine.travel(NOW + dt.timedelta(days=3), tick=False):
        closed = services.office_close(office=office)
    assert closed.status == OfficeStatus.CLOSED
    assert closed.closed_on == dt.date(2026, 3, 13)


def test_closed_office_cannot_reopen(office):
    services.office_close(office=office)
    with pytest.raises(DomainError) as exc:
        services.office_update(office=office, status=OfficeStatus.OPEN)
    assert exc.value.code == "invalid_transition"
    assert exc.value.extra["allowed"] == []
    assert RegionalOffice.objects.get(pk=office.pk).status == OfficeStatus.CLOSED


def test_closed_office_takes_no_new_work_orders(office, equipment, engineer):
    services.office_close(office=office)
    with pytest.raises(ValidationError) as exc:
        services.work_order_open(
            equipment=equipment, kind=WorkOrderKind.CORRECTIVE, title="x", user=engineer, office=office
        )
    assert "office" in exc.value.message_dict
    assert not WorkOrder.objects.exists()


def test_activity_must_end_after_it_starts(office):
    start = timezone.now()
    with pytest.raises(ValidationError):
        services.office_activity_create(office=office, kind="training", title="T", start=start, end=start)
    assert not OfficeActivity.objects.exists()


def test_work_order_lifecycle_records_who_and_when(work_order, engineer):
    boss = StaffFactory.create(username="boss")
    assert work_order.status == WorkOrderStatus.OPEN
    assert work_order.opened_at == NOW
    assert work_order.opened_by == engineer
    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
        work_order = services.work_order_acknowledge(work_order=work_order, user=boss)
    assert (work_order.status, work_order.acknowledged_by, work_order.assignee) == ("acknowledged", boss, boss)
    assert work_order.acknowledged_at == NOW + dt.timedelta(hours=2)
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        work_order = services.work_order_resolve(work_order=work_order, user=engineer, resolution="Fitting tightened")
    work_order.refresh_from_db()
    assert work_order.status == WorkOrderStatus.RESOLVED
    assert work_order.resolved_at == NOW + dt.timedelta(days=1)
    assert work_order.resolved_by == engineer
    assert work_order.resolution == "Fitting tightened"


def test_work_order_cannot_skip_acknowledgement(work_order, engineer):
    with pytest.raises(DomainError) as exc:
        services.work_order_resolve(work_order=work_order, user=engineer)
    assert exc.value.code == "invalid_transition"
    assert exc.value.extra["allowed"] == ["acknowledged", "cancelled"]
    work_order.refresh_from_db()
    assert work_order.status == WorkOrderStatus.OPEN
    assert work_order.resolved_at is None


@pytest.mark.parametrize("final", ["resolved", "cancelled"])
def test_finished_work_order_cannot_move(work_order, engineer, final):
    services.work_order_acknowledge(work_order=work_order, user=engineer)
    if final == "resolved":
        services.work_order_resolve(work_order=work_order, user=engineer)
    else:
        services.work_order_cancel(work_order=work_order, user=engineer)
    for step in (services.work_order_acknowledge, services.work_order_resolve, services.work_order_cancel):
        with pytest.raises(DomainError) as exc:
            step(work_order=work_order, user=engineer)
        assert exc.value.extra["allowed"] == []
    assert WorkOrder.objects.get(pk=work_order.pk).status == final


def test_work_order_cannot_be_resolved_before_it_was_opened(work_order, engineer):
    services.work_order_acknowledge(work_order=work_order, user=engineer, at=NOW)
    with pytest.raises(ValidationError) as exc:
        services.work_order_resolve(work_order=work_order, user=engineer, at=NOW - dt.timedelta(minutes=1))
    assert "resolved_at" in exc.value.message_dict
    work_order.refresh_from_db()
    assert work_order.status == WorkOrderStatus.ACKNOWLEDGED


def test_work_order_cannot_be_acknowledged_before_it_was_opened(work_order, engineer):
    with pytest.raises(ValidationError):
        services.work_order_acknowledge(work_order=work_order, user=engineer, at=NOW - dt.timedelta(hours=1))
    assert WorkOrder.objects.get(pk=work_order.pk).status == WorkOrderStatus.OPEN


def test_work_order_steps_cannot_be_recorded_in_the_future(work_order, engineer):
    with pytest.raises(ValidationError):
        services.work_order_acknowledge(work_order=work_order, user=engineer, at=timezone.now() + dt.timedelta(days=1))
    assert WorkOrder.objects.get(pk=work_order.pk).acknowledged_at is None


def test_retired_equipment_takes_no_new_work_orders(equipment, engineer):
    services.equipment_update(equipment=equipment, status=EquipmentStatus.RETIRED)
    with pytest.raises(ValidationError) as exc:
        services.work_order_open(equipment=equipment, kind=WorkOrderKind.CORRECTIVE, title="x", user=engineer)
    assert exc.value.error_dict["equipment"][0].code == "equipment_retired"
    assert not WorkOrder.objects.exists()


def test_retired_equipment_stays_retired(equipment):
    services.equipment_update(equipment=equipment, status=EquipmentStatus.RETIRED)
    with pytest.raises(DomainError):
        services.equipment_update(equipment=equipment, status=EquipmentStatus.OPERATIONAL)
    assert Equipment.objects.get(pk=equipment.pk).status == EquipmentStatus.RETIRED


def test_preventive_work_order_needs_a_due_date(equipment, engineer):
    with pytest.raises(ValidationError):
        services.work_order_open(equipment=equipment, kind=WorkOrderKind.PREVENTIVE, title="PM", user=engineer)
    assert not WorkOrder.objects.exists()


def test_work_order_update_cannot_touch_status_or_times(work_order):
    with pytest.raises(ValidationError):
        services.work_order_update(work_order=work_order, status=WorkOrderStatus.RESOLVED)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        services.work_order_update(work_order=work_order, equipment=EquipmentFactory.create())  # type: ignore[call-arg]
    assert WorkOrder.objects.get(pk=work_order.pk).status == WorkOrderStatus.OPEN


def test_work_order_update_changes_descriptive_fields(work_order):
    services.work_order_update(work_order=work_order, title="Helium pressure alarm", description="Seen at 9:00")
    assert WorkOrder.objects.get(pk=work_order.pk).title == "Helium pressure alarm"


def test_equipment_serial_is_unique_per_manufacturer(site):
    EquipmentFactory.create(site=site, manufacturer="IQM", serial_number="S-1")
    with pytest.raises(ValidationError):
        services.equipment_create(site=site, name="Again", kind="qpu", manufacturer="IQM", serial_number="S-1")
    assert Equipment.objects.filter(serial_number="S-1").count() == 1


def test_reassigning_work_order_to_closed_office_is_refused(work_order):
    closed = RegionalOfficeFactory.create(status=OfficeStatus.CLOSED, closed_on=dt.date(2025, 12, 31))
    with pytest.raises(ValidationError):
        services.work_order_update(work_order=work_order, office=closed)
    assert WorkOrder.objects.get(pk=work_order.pk).office_id != closed.pk


def test_factory_work_order_is_open():
    assert WorkOrderFactory.create().status == WorkOrderStatus.OPEN
