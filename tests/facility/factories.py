import factory

from facility.choices import OrganizationKind
from facility.models import Organization


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    short_name = factory.Sequence(lambda n: f"ORG{n}")
    kind = OrganizationKind.UNIVERSITY
    country = "KR"
