"""The test factories: one factory per model, with the variants the areas need as traits or small subclasses.

Factories write rows directly (no service rules): use them to arrange data. Where a test needs a row as a
service makes it (a backend with its policy and calibration), use the helpers at the end (`make_backend`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
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
from procurement.models import ExchangeRate
from reports.choices import ReportKind
from reports.models import Report
from scheduling.calibration import calibration_payload
from scheduling.choices import BookingStatus, JobStatus, MembershipRole, OutageSeverity
from scheduling.models import (
    Allocation,
    Backend,
    Booking,
    CalibrationRecord,
    Job,
    JobCircuit,
    MaintenanceWindow,
    Membership,
    Outage,
    Project,
)
from scheduling.portal.forms import BELL_CIRCUIT
from scheduling.services.backends import backend_create

PASSWORD = "pw-correct-horse-42"

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


__all__ = [
    "BELL_CIRCUIT",
    "GHZ3",
    "PASSWORD",
    "AllocationFactory",
    "BackendFactory",
    "BookingFactory",
    "CalibrationRecordFactory",
    "EquipmentFactory",
    "ExchangeRateFactory",
    "JobCircuitFactory",
    "JobFactory",
    "MaintenanceWindowFactory",
    "MembershipFactory",
    "OfficeActivityFactory",
    "OfficeStaffFactory",
    "OrganizationFactory",
    "OutageFactory",
    "ProjectFactory",
    "RegionalOfficeFactory",
    "ReportFactory",
    "SiteFactory",
    "StaffFactory",
    "UserFactory",
    "VendorFactory",
    "WorkOrderFactory",
    "ghz",
    "make_backend",
    "make_batch_job",
]


# accounts


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A researcher account with the password `PASSWORD`; `groups=[...]` adds it to groups by name."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))
        if create:
            self.save()


class StaffFactory(UserFactory):
    is_staff = True


# facility


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    """A Korean university."""

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
    """A site of a research centre, in Seoul's time zone."""

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
    """A two-hour training a week ago."""

    class Meta:
        model = OfficeActivity

    office = factory.SubFactory(RegionalOfficeFactory)
    kind = ActivityKind.TRAINING
    title = factory.Sequence(lambda n: f"Activity {n}")
    start = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=7))
    end = factory.LazyAttribute(lambda a: a.start + dt.timedelta(hours=2))
    participants = 10


class EquipmentFactory(factory.django.DjangoModelFactory[Equipment]):
    """An operational QPU."""

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


# procurement


class ExchangeRateFactory(factory.django.DjangoModelFactory[ExchangeRate]):
    class Meta:
        model = ExchangeRate
        django_get_or_create = ("date", "currency")

    date = dt.date(2024, 1, 2)
    currency = "EUR"
    rate_to_krw = Decimal("1450.00")
    source = "test"


# scheduling


class BackendFactory(factory.django.DjangoModelFactory[Backend]):
    """A bare backend row (no policy, no calibration): `make_backend()` makes one as the service does."""

    class Meta:
        model = Backend

    name = factory.Sequence(lambda n: f"spark-{n}")
    display_name = factory.Sequence(lambda n: f"IQM Spark {n}")
    equipment = factory.SubFactory(EquipmentFactory)
    site = factory.LazyAttribute(lambda b: b.equipment.site)


class CalibrationRecordFactory(factory.django.DjangoModelFactory[CalibrationRecord]):
    """The default calibration, measured an hour ago."""

    class Meta:
        model = CalibrationRecord

    backend = factory.SubFactory(BackendFactory)
    measured_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    qubits = factory.LazyFunction(lambda: calibration_payload()["qubits"])
    couplers = factory.LazyFunction(lambda: calibration_payload()["couplers"])


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


class ProjectFactory(factory.django.DjangoModelFactory[Project]):
    """A bare project row: its PI is not a member (add a MembershipFactory, or use project_create)."""

    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"PRJ-{n:04d}")
    title = factory.Sequence(lambda n: f"Project {n}")
    institution = factory.SubFactory(OrganizationFactory)
    pi = factory.SubFactory(UserFactory)


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = MembershipRole.MEMBER


class AllocationFactory(factory.django.DjangoModelFactory[Allocation]):
    """40 hours, valid from two months ago to about ten months ahead (pass fixed dates for a fixed calendar)."""

    class Meta:
        model = Allocation

    project = factory.SubFactory(ProjectFactory)
    backend = factory.SubFactory(BackendFactory)
    hours = Decimal("40")
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=60))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=300))


class BookingFactory(factory.django.DjangoModelFactory[Booking]):
    """A confirmed one-hour booking two days ahead, written directly (no rules, nothing charged).

    `in_progress=True`: it started 15 minutes ago. `charged=True`: charged its length in hours, as booking_create
    charges a confirmed booking."""

    class Meta:
        model = Booking

    class Params:
        in_progress = factory.Trait(starts_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=15)))
        charged = factory.Trait(
            charged_hours=factory.LazyAttribute(
                lambda b: (Decimal((b.ends_at - b.starts_at).total_seconds()) / 3600).quantize(Decimal("0.01"))
            )
        )

    backend = factory.SubFactory(BackendFactory)
    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=2))
    ends_at = factory.LazyAttribute(lambda b: b.starts_at + dt.timedelta(hours=1))
    status = BookingStatus.CONFIRMED
    cancelled_at = factory.LazyAttribute(lambda b: b.starts_at if b.status == BookingStatus.CANCELLED else None)


class JobFactory(factory.django.DjangoModelFactory[Job]):
    """A completed 1000-shot Bell-state job of a booking, submitted when the job (or else the booking) started.

    `queued=True`: a GHZ3 job of 100 shots just submitted in a booking in progress, as `job_submit` leaves it.
    `with_result=True`: submitted now, with the counts and QPU seconds a finished run records."""

    class Meta:
        model = Job
        skip_postgeneration_save = True

    class Params:
        queued = factory.Trait(
            booking=factory.SubFactory(BookingFactory, in_progress=True),
            qasm=GHZ3,
            shots=100,
            status=JobStatus.QUEUED,
            submitted_at=factory.LazyFunction(timezone.now),
        )
        with_result = factory.Trait(
            submitted_at=factory.LazyFunction(timezone.now),
            counts=factory.LazyFunction(lambda: {"00": 498, "11": 480, "01": 12, "10": 10}),
            qpu_seconds=2.203,
        )

    booking = factory.SubFactory(BookingFactory)
    backend = factory.LazyAttribute(lambda j: j.booking.backend)
    project = factory.LazyAttribute(lambda j: j.booking.project)
    user = factory.LazyAttribute(lambda j: j.booking.user)
    qasm = BELL_CIRCUIT
    shots = 1000
    status = JobStatus.COMPLETED
    started_at = None
    submitted_at = factory.LazyAttribute(lambda j: j.started_at or j.booking.starts_at)

    @classmethod
    def _adjust_kwargs(cls, **kwargs: object) -> dict[str, object]:
        """A failed or cancelled job records why (`error_code`): the simulator failed, or its user cancelled it."""
        if not kwargs.get("error_code"):
            codes: dict[str, str] = {JobStatus.FAILED: "simulation_error", JobStatus.CANCELLED: "cancelled_by_user"}
            kwargs["error_code"] = codes.get(str(kwargs.get("status")), "")
        return kwargs

    # Its one circuit (a batch: add JobCircuitFactory rows with index 1, 2, ...).
    circuit = factory.RelatedFactory(
        "tests.factories.JobCircuitFactory",
        factory_related_name="job",
        index=0,
        qasm=factory.LazyAttribute(lambda c: c.job.qasm),
        counts=factory.LazyAttribute(lambda c: c.job.counts),
        seed=factory.LazyAttribute(lambda c: c.job.seed),
        depth=factory.LazyAttribute(lambda c: c.job.depth),
        prx_count=factory.LazyAttribute(lambda c: c.job.prx_count),
        cz_count=factory.LazyAttribute(lambda c: c.job.cz_count),
    )


# reports


class ReportFactory(factory.django.DjangoModelFactory[Report]):
    class Meta:
        model = Report

    kind = ReportKind.UTILIZATION
    params = factory.LazyFunction(dict)
    requester = factory.SubFactory(UserFactory)


# helpers


def make_backend(name: str = "spark", display_name: str = "IQM Spark", **fields: object) -> Backend:
    """A backend made by the service, so it has its default policy and calibration."""
    equipment = EquipmentFactory()
    return backend_create(name=name, display_name=display_name, site=equipment.site, equipment=equipment, **fields)


class JobCircuitFactory(factory.django.DjangoModelFactory[JobCircuit]):
    """A circuit of a job (JobFactory makes circuit 0 of each job; add more for a batch)."""

    class Meta:
        model = JobCircuit

    job = factory.SubFactory(JobFactory)
    index = factory.Sequence(lambda n: n + 1)
    name = ""
    qasm = BELL_CIRCUIT


def make_batch_job(booking: Booking, circuits: int = 3, shots: int = 100, **fields: object) -> Job:
    """A completed batch job of `circuits` GHZ circuits (2, 3, 4, ... qubits) in `booking`, with counts per circuit."""
    sources = [ghz(2 + i % 4) for i in range(circuits)]

    def counts(i: int) -> dict[str, int]:
        width = 2 + i % 4
        return {"0" * width: shots // 2 - i, "1" * width: shots // 2 - 1, "0" * (width - 1) + "1": i + 1}

    def stats(i: int) -> dict[str, int]:
        width = 2 + i % 4
        return {"depth": 4 * width, "prx_count": 5 * width, "cz_count": 2 * width}

    now = timezone.now()
    job = JobFactory(
        booking=booking,
        qasm=sources[0],
        shots=shots,
        seed=11,
        counts=counts(0),
        qpu_seconds=2.05,
        estimated_qpu_seconds=2.05,
        submitted_at=now,
        started_at=now,
        finished_at=now + dt.timedelta(seconds=3),
        name="GHZ sweep",
        depth=sum(stats(i)["depth"] for i in range(circuits)),
        prx_count=sum(stats(i)["prx_count"] for i in range(circuits)),
        cz_count=sum(stats(i)["cz_count"] for i in range(circuits)),
        **fields,
    )
    JobCircuit.objects.filter(job=job).update(name="ghz-2", **stats(0))
    for i in range(1, circuits):
        name, source = f"ghz-{2 + i % 4}", sources[i]
        JobCircuitFactory(job=job, index=i, name=name, qasm=source, counts=counts(i), seed=11 + i, **stats(i))
    return Job.objects.get(pk=job.pk)
