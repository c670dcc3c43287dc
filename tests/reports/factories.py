import datetime as dt

import factory

from facility.choices import EquipmentKind, OrganizationKind
from facility.models import Equipment, Organization, Site
from reports.choices import ReportKind
from reports.models import Report
from scheduling.choices import BookingStatus, JobStatus, MembershipRole, OutageSeverity
from scheduling.models import (
    Allocation,
    Backend,
    Booking,
    CalibrationRecord,
    Job,
    MaintenanceWindow,
    Membership,
    Outage,
    Project,
)
from tests.accounts.factories import UserFactory


class InstitutionFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Institution {n}")
    short_name = factory.Sequence(lambda n: f"INST{n}")
    kind = OrganizationKind.UNIVERSITY
    country = "KR"


class SiteFactory(factory.django.DjangoModelFactory[Site]):
    class Meta:
        model = Site

    organization = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    city = "Cheongju"
    country = "KR"
    time_zone = "Asia/Seoul"


class EquipmentFactory(factory.django.DjangoModelFactory[Equipment]):
    class Meta:
        model = Equipment

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"QPU {n}")
    kind = EquipmentKind.QPU
    manufacturer = "IQM"
    serial_number = factory.Sequence(lambda n: f"SN-{n:05d}")


class BackendFactory(factory.django.DjangoModelFactory[Backend]):
    class Meta:
        model = Backend

    name = factory.Sequence(lambda n: f"spark-{n}")
    display_name = factory.Sequence(lambda n: f"IQM Spark {n}")
    equipment = factory.SubFactory(EquipmentFactory)
    site = factory.LazyAttribute(lambda b: b.equipment.site)


class ProjectFactory(factory.django.DjangoModelFactory[Project]):
    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"CBQRC-2026-{n:02d}")
    title = factory.Sequence(lambda n: f"Project {n}")
    institution = factory.SubFactory(InstitutionFactory)
    pi = factory.SubFactory(UserFactory)


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = MembershipRole.MEMBER


class AllocationFactory(factory.django.DjangoModelFactory[Allocation]):
    class Meta:
        model = Allocation

    project = factory.SubFactory(ProjectFactory)
    backend = factory.SubFactory(BackendFactory)
    hours = 100
    valid_from = dt.date(2026, 1, 1)
    valid_until = dt.date(2026, 12, 31)


class BookingFactory(factory.django.DjangoModelFactory[Booking]):
    class Meta:
        model = Booking

    backend = factory.SubFactory(BackendFactory)
    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    status = BookingStatus.CONFIRMED
    cancelled_at = factory.LazyAttribute(lambda b: b.starts_at if b.status == BookingStatus.CANCELLED else None)


class JobFactory(factory.django.DjangoModelFactory[Job]):
    class Meta:
        model = Job

    booking = factory.SubFactory(BookingFactory)
    backend = factory.LazyAttribute(lambda j: j.booking.backend)
    project = factory.LazyAttribute(lambda j: j.booking.project)
    user = factory.LazyAttribute(lambda j: j.booking.user)
    qasm = "OPENQASM 2.0;"
    shots = 1000
    status = JobStatus.COMPLETED
    submitted_at = factory.LazyAttribute(lambda j: j.started_at or j.booking.starts_at)


class MaintenanceWindowFactory(factory.django.DjangoModelFactory[MaintenanceWindow]):
    class Meta:
        model = MaintenanceWindow

    backend = factory.SubFactory(BackendFactory)
    title = "Maintenance"


class OutageFactory(factory.django.DjangoModelFactory[Outage]):
    class Meta:
        model = Outage

    backend = factory.SubFactory(BackendFactory)
    severity = OutageSeverity.MAJOR


class CalibrationFactory(factory.django.DjangoModelFactory[CalibrationRecord]):
    class Meta:
        model = CalibrationRecord

    backend = factory.SubFactory(BackendFactory)
    qubits = factory.LazyFunction(
        lambda: [
            {"qubit": f"QB{i}", "t1_us": 36, "t2_us": 19, "prx_fidelity": 0.997, "readout_fidelity": 0.95}
            for i in range(1, 6)
        ]
    )
    couplers = factory.LazyFunction(
        lambda: [{"qubits": pair, "cz_fidelity": 0.962} for pair in (["QB1", "QB3"], ["QB2", "QB3"])]
    )


class ReportFactory(factory.django.DjangoModelFactory[Report]):
    class Meta:
        model = Report

    kind = ReportKind.UTILIZATION
    params = factory.LazyFunction(dict)
    requester = factory.SubFactory(UserFactory)
