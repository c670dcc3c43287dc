"""Small factories of the rows a job needs; independent of the booking side's factories."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from facility.choices import EquipmentKind
from facility.models import Equipment, Site
from scheduling.calibration import calibration_payload
from scheduling.choices import BookingStatus, JobStatus, MembershipRole
from scheduling.models import Backend, Booking, CalibrationRecord, Job, Membership, Project
from tests.accounts.factories import UserFactory
from tests.facility.factories import OrganizationFactory

GHZ3 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg c[3];
h q[0];
cx q[0], q[1];
cx q[1], q[2];
measure q -> c;
"""


def ghz(n: int) -> str:
    """An n-qubit GHZ circuit in OpenQASM 2."""
    chain = "".join(f"cx q[{i}], q[{i + 1}];\n" for i in range(n - 1))
    return f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{n}];\ncreg c[{n}];\nh q[0];\n{chain}measure q -> c;\n'


class SiteFactory(factory.django.DjangoModelFactory[Site]):
    class Meta:
        model = Site

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Research centre {n}")
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

    name = factory.Sequence(lambda n: f"star-{n}")
    display_name = factory.LazyAttribute(lambda b: f"Star {b.name}")
    equipment = factory.SubFactory(EquipmentFactory)
    site = factory.LazyAttribute(lambda b: b.equipment.site)


class CalibrationRecordFactory(factory.django.DjangoModelFactory[CalibrationRecord]):
    class Meta:
        model = CalibrationRecord

    backend = factory.SubFactory(BackendFactory)
    measured_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    qubits = factory.LazyFunction(lambda: calibration_payload()["qubits"])
    couplers = factory.LazyFunction(lambda: calibration_payload()["couplers"])


class ProjectFactory(factory.django.DjangoModelFactory[Project]):
    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"TEST-2026-{n:02d}")
    title = factory.Sequence(lambda n: f"Project {n}")
    institution = factory.SubFactory(OrganizationFactory)
    pi = factory.SubFactory(UserFactory)


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = MembershipRole.MEMBER


class BookingFactory(factory.django.DjangoModelFactory[Booking]):
    """A confirmed booking in progress (started 15 minutes ago, one hour long)."""

    class Meta:
        model = Booking

    backend = factory.SubFactory(BackendFactory)
    project = factory.SubFactory(ProjectFactory)
    user = factory.LazyAttribute(lambda b: b.project.pi)
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=15))
    ends_at = factory.LazyAttribute(lambda b: b.starts_at + timedelta(hours=1))
    status = BookingStatus.CONFIRMED


class JobFactory(factory.django.DjangoModelFactory[Job]):
    class Meta:
        model = Job

    booking = factory.SubFactory(BookingFactory)
    backend = factory.LazyAttribute(lambda j: j.booking.backend)
    project = factory.LazyAttribute(lambda j: j.booking.project)
    user = factory.LazyAttribute(lambda j: j.booking.user)
    qasm = GHZ3
    shots = 100
    status = JobStatus.QUEUED
    submitted_at = factory.LazyFunction(timezone.now)
