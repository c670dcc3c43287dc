import pytest

from tests.factories import EquipmentFactory, RegionalOfficeFactory, SiteFactory


@pytest.fixture
def site(db):
    return SiteFactory.create(name="ChungBuk Quantum Research Center")


@pytest.fixture
def office(db):
    return RegionalOfficeFactory.create(name="IQM Seoul office")


@pytest.fixture
def equipment(site):
    return EquipmentFactory.create(site=site, name="Spark QPU")
