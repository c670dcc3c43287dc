import datetime as dt

import factory
from django.utils import timezone

from facility.choices import (
    ActivityKind,
    EquipmentKind,
    EquipmentStatus,
    OfficeStatus,
    OrganizationKind,
    WorkOrderKind,
    WorkOrderStatus,
)
from facility.models import Equipment, OfficeActivity, OfficeStaff, Organization, RegionalOffice, Site, WorkOrder
from tests.accounts.factories import StaffFactory


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    short_name = factory.Sequence(lambda n: f"ORG{n}")
    kind = OrganizationKind.UNIVERSITY
    country = "KR"


class VendorFactory(OrganizationFactory):
    name = factory.Sequence(lambda n: f"Vendor {n}")
    kind = OrganizationKind.VENDOR
    country = "FI"


class SiteFactory(factory.django.DjangoModelFactory[Site]):
    class Meta:
        model = Site

    organization = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.RESEARCH_CENTRE)
    name = factory.Sequence(lambda n: f"Site {n}")
    city = "Cheongju"
    country = "KR"
    time_zone = "Asia/Seoul"


class RegionalOfficeFactory(factory.django.DjangoModelFactory[RegionalOffice]):
    class Meta:
        model = RegionalOffice

    organization = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Office {n}")
    city = "Seoul"
    country = "KR"
    time_zone = "Asia/Seoul"
    opened_on = dt.date(2025, 6, 1)
    status = OfficeStatus.OPEN


class OfficeStaffFactory(factory.django.DjangoModelFactory[OfficeStaff]):
    class Meta:
        model = OfficeStaff

    office = factory.SubFactory(RegionalOfficeFactory)
    user = factory.SubFactory(StaffFactory)
    role = "Field engineer"
    since = dt.date(2025, 6, 1)


class OfficeActivityFactory(factory.django.DjangoModelFactory[OfficeActivity]):
    class Meta:
        model = OfficeActivity

    office = factory.SubFactory(RegionalOfficeFactory)
    kind = ActivityKind.TRAINING
    title = factory.Sequence(lambda n: f"Activity {n}")
    start = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=7))
    end = factory.LazyAttribute(lambda a: a.start + dt.timedelta(hours=2))
    participants = 10


class EquipmentFactory(factory.django.DjangoModelFactory[Equipment]):
    class Meta:
        model = Equipment

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Equipment {n}")
    kind = EquipmentKind.QPU
    manufacturer = "IQM Quantum Computers"
    model = "IQM Spark"
    serial_number = factory.Sequence(lambda n: f"SN-{n:05d}")
    installed_on = dt.date(2025, 6, 1)
    status = EquipmentStatus.OPERATIONAL


class WorkOrderFactory(factory.django.DjangoModelFactory[WorkOrder]):
    """An open corrective work order (use the services to move it on)."""

    class Meta:
        model = WorkOrder

    equipment = factory.SubFactory(EquipmentFactory)
    kind = WorkOrderKind.CORRECTIVE
    title = factory.Sequence(lambda n: f"Work order {n}")
    status = WorkOrderStatus.OPEN
    opened_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
