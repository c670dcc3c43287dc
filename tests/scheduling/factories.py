import factory

from facility.choices import EquipmentKind, OrganizationKind
from facility.models import Equipment, Site
from scheduling.models import Project
from tests.accounts.factories import UserFactory
from tests.facility.factories import OrganizationFactory


class SiteFactory(factory.django.DjangoModelFactory[Site]):
    class Meta:
        model = Site

    organization = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.RESEARCH_CENTRE)
    name = factory.Sequence(lambda n: f"Site {n}")
    city = "Cheongju"
    country = "KR"
    time_zone = "Asia/Seoul"


class QpuFactory(factory.django.DjangoModelFactory[Equipment]):
    class Meta:
        model = Equipment

    site = factory.SubFactory(SiteFactory)
    name = "QPU"
    kind = EquipmentKind.QPU
    manufacturer = "IQM Quantum Computers"
    serial_number = factory.Sequence(lambda n: f"QPU-{n}")


class ProjectFactory(factory.django.DjangoModelFactory[Project]):
    """A bare project row; tests that need members use project_create (which adds the PI)."""

    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"PRJ-{n:03d}")
    title = factory.Sequence(lambda n: f"Project {n}")
    institution = factory.SubFactory(OrganizationFactory)
    pi = factory.SubFactory(UserFactory)


__all__ = ["OrganizationFactory", "ProjectFactory", "QpuFactory", "SiteFactory", "UserFactory"]
