"""Portal test data: a backend at a site, a project with a member and an allocation, bookings and jobs."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from facility.choices import EquipmentKind
from facility.models import Equipment, Site
from scheduling.choices import BookingStatus, JobStatus, MembershipRole
from scheduling.models import Allocation, Backend, Booking, Job, Membership, Project
from scheduling.portal.forms import BELL_CIRCUIT
from scheduling.services.backends import backend_create
from tests.accounts.factories import UserFactory
from tests.facility.factories import OrganizationFactory


class SiteFactory(factory.django.DjangoModelFactory[Site]):
    class Meta:
        model = Site

    organization = factory.SubFactory(OrganizationFactory)
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
    serial_number = factory.Sequence(lambda n: f"SN-{n}")


def make_backend(name: str = "spark", display_name: str = "IQM Spark") -> Backend:
    """A backend made by the service, so it has its default policy and calibration."""
    equipment = EquipmentFactory()
    return backend_create(name=name, display_name=display_name, site=equipment.site, equipment=equipment)


class ProjectFactory(factory.django.DjangoModelFactory[Project]):
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
    class Meta:
        model = Allocation

    project = factory.SubFactory(ProjectFactory)
    backend = None
    hours = Decimal("40")
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=60))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=300))


class BookingFactory(factory.django.DjangoModelFactory[Booking]):
    """A booking written directly (no rules): for arranging a calendar in tests."""

    class Meta:
        model = Booking

    backend = None
    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=2))
    ends_at = factory.LazyAttribute(lambda b: b.starts_at + datetime.timedelta(hours=1))
    status = BookingStatus.CONFIRMED
    charged_hours = Decimal("1.00")


class JobFactory(factory.django.DjangoModelFactory[Job]):
    class Meta:
        model = Job

    booking = None
    backend = factory.LazyAttribute(lambda j: j.booking.backend)
    project = factory.LazyAttribute(lambda j: j.booking.project)
    user = factory.LazyAttribute(lambda j: j.booking.user)
    qasm = BELL_CIRCUIT
    shots = 1000
    status = JobStatus.COMPLETED
    submitted_at = factory.LazyFunction(timezone.now)
    counts = factory.LazyFunction(lambda: {"00": 498, "11": 480, "01": 12, "10": 10})
    qpu_seconds = 2.203
