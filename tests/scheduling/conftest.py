"""Fixtures of the scheduling tests: a backend at a frozen time, a project with a researcher and an allocation."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from scheduling.services import allocation_create, membership_add, project_create
from tests import factories
from tests.factories import OrganizationFactory, UserFactory
from tests.support import NOW


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def make_backend(db):
    def make(name="spark", **fields):
        return factories.make_backend(name=name, display_name=name.title(), **fields)

    return make


@pytest.fixture
def backend(make_backend):
    return make_backend()


@pytest.fixture
def make_project(db, backend):
    def make(*, code="CBQRC-2026-01", pi=None, members=(), hours="100", on_backend=None):
        pi = pi or UserFactory()
        project = project_create(code=code, title=f"Project {code}", institution=OrganizationFactory(), pi=pi)
        for user in members:
            membership_add(project=project, user=user)
        allocation_create(
            project=project,
            backend=on_backend or backend,
            hours=Decimal(hours),
            valid_from=datetime.date(2026, 1, 1),
            valid_until=datetime.date(2026, 12, 31),
        )
        return project

    return make


@pytest.fixture
def project(make_project, researcher):
    return make_project(members=[researcher])


@pytest.fixture
def allocation(project):
    return project.allocations.get()
