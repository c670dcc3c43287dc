"""Database constraints: each invariant is enforced by the database even when the services are bypassed."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from facility.choices import EquipmentStatus, OfficeStatus, WorkOrderKind, WorkOrderStatus
from facility.models import Equipment, OfficeActivity, Organization, RegionalOffice, WorkOrder
from tests.factories import (
    EquipmentFactory,
    OfficeActivityFactory,
    OfficeStaffFactory,
    OrganizationFactory,
    RegionalOfficeFactory,
    SiteFactory,
    WorkOrderFactory,
)

pytestmark = pytest.mark.django_db


def _refused_by_db(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_activity_must_end_after_it_starts():
    start = timezone.now()
    _refused_by_db(lambda: OfficeActivityFactory.create(start=start, end=start))
    assert not OfficeActivity.objects.exists()


def test_office_staff_period_cannot_end_before_it_starts():
    _refused_by_db(lambda: OfficeStaffFactory.create(since=dt.date(2025, 6, 2), until=dt.date(2025, 6, 1)))


def test_serial_number_is_unique_per_manufacturer():
    first = EquipmentFactory.create(manufacturer="IQM", serial_number="X-1")
    EquipmentFactory.create(manufacturer="Bluefors", serial_number="X-1", site=first.site)  # another maker: fine
    _refused_by_db(lambda: EquipmentFactory.create(manufacturer="IQM", serial_number="X-1", site=first.site))
    assert Equipment.objects.filter(serial_number="X-1").count() == 2


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (OrganizationFactory, "kind"),
        (RegionalOfficeFactory, "status"),
        (EquipmentFactory, "kind"),
        (EquipmentFactory, "status"),
        (WorkOrderFactory, "kind"),
        (WorkOrderFactory, "status"),
        (OfficeActivityFactory, "kind"),
    ],
)
def test_status_and_kind_values_are_checked_by_the_database(factory, field):
    _refused_by_db(lambda: factory(**{field: "bogus"}))


def test_warranty_cannot_end_before_installation():
    _refused_by_db(
        lambda: EquipmentFactory.create(installed_on=dt.date(2025, 6, 1), warranty_until=dt.date(2025, 5, 1))
    )


def test_office_closed_before_opened_is_refused():
    _refused_by_db(
        lambda: RegionalOfficeFactory.create(
            status=OfficeStatus.CLOSED, opened_on=dt.date(2025, 6, 1), closed_on=dt.date(2025, 5, 1)
        )
    )


def test_closed_office_needs_a_closing_date():
    _refused_by_db(lambda: RegionalOfficeFactory.create(status=OfficeStatus.CLOSED, closed_on=None))


def test_open_office_needs_an_opening_date():
    _refused_by_db(lambda: RegionalOfficeFactory.create(status=OfficeStatus.OPEN, opened_on=None))


def test_work_order_cannot_be_resolved_before_it_was_opened():
    now = timezone.now()
    _refused_by_db(
        lambda: WorkOrderFactory.create(
            status=WorkOrderStatus.RESOLVED, opened_at=now, acknowledged_at=now, resolved_at=now - dt.timedelta(hours=1)
        )
    )


def test_work_order_cannot_be_acknowledged_before_it_was_opened():
    now = timezone.now()
    _refused_by_db(
        lambda: WorkOrderFactory.create(
            status=WorkOrderStatus.ACKNOWLEDGED, opened_at=now, acknowledged_at=now - dt.timedelta(seconds=1)
        )
    )


def test_work_order_cannot_be_resolved_before_acknowledged():
    now = timezone.now()
    _refused_by_db(
        lambda: WorkOrderFactory.create(
            status=WorkOrderStatus.RESOLVED,
            opened_at=now - dt.timedelta(hours=2),
            acknowledged_at=now,
            resolved_at=now - dt.timedelta(hours=1),
        )
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"status": WorkOrderStatus.RESOLVED},  # resolved without a time
        {"status": WorkOrderStatus.ACKNOWLEDGED},  # acknowledged without a time
        {"status": WorkOrderStatus.CANCELLED},  # cancelled without a time
        {"status": WorkOrderStatus.OPEN, "acknowledged_at": "now"},  # open but already acknowledged
    ],
)
def test_work_order_status_matches_its_times(fields):
    if fields.get("acknowledged_at") == "now":
        fields["acknowledged_at"] = timezone.now()
    _refused_by_db(lambda: WorkOrderFactory.create(**fields))
    assert not WorkOrder.objects.exists()


def test_preventive_work_order_needs_a_due_date():
    _refused_by_db(lambda: WorkOrderFactory.create(kind=WorkOrderKind.PREVENTIVE, due_date=None))


def test_organization_cannot_be_its_own_parent():
    org = OrganizationFactory.create()
    org.parent_id = org.pk
    _refused_by_db(lambda: org.save())


def test_time_zone_must_be_an_iana_name():
    site = SiteFactory.build(organization=OrganizationFactory.create(), time_zone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError) as exc:
        site.full_clean()
    assert "time_zone" in exc.value.message_dict


def test_country_must_be_an_iso_code():
    org = OrganizationFactory.build(country="XX")
    with pytest.raises(ValidationError) as exc:
        org.full_clean()
    assert "country" in exc.value.message_dict


def test_history_is_protected_from_deletion(equipment):
    WorkOrderFactory.create(equipment=equipment)
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        equipment.delete()
    with pytest.raises(ProtectedError):
        equipment.site.delete()
    assert Equipment.objects.filter(pk=equipment.pk).exists()


def test_office_with_activities_cannot_be_deleted():
    activity = OfficeActivityFactory.create()
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        activity.office.delete()
    with pytest.raises(ProtectedError):
        activity.office.organization.delete()
    assert RegionalOffice.objects.filter(pk=activity.office_id).exists()
    assert Organization.objects.filter(pk=activity.office.organization_id).exists()


def test_equipment_status_default_is_operational(site):
    assert EquipmentFactory.create(site=site).status == EquipmentStatus.OPERATIONAL
