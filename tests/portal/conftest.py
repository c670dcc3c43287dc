import pytest

from scheduling.choices import MembershipRole
from tests.factories import AllocationFactory, MembershipFactory, ProjectFactory, UserFactory, make_backend


@pytest.fixture
def backend(db):
    return make_backend()


@pytest.fixture
def member(db):
    return UserFactory(username="mina", full_name="Mina Kim", time_zone="Asia/Seoul")


@pytest.fixture
def project(member):
    project = ProjectFactory(code="CBQRC-2026-01", pi=member)
    MembershipFactory(project=project, user=member, role=MembershipRole.PI)
    return project


@pytest.fixture
def allocation(project, backend):
    return AllocationFactory(project=project, backend=backend)


@pytest.fixture
def other_project(db, backend):
    other = UserFactory(username="otto")
    project = ProjectFactory(code="OTHER-2026-09", pi=other)
    MembershipFactory(project=project, user=other, role=MembershipRole.PI)
    AllocationFactory(project=project, backend=backend)
    return project


@pytest.fixture
def portal_client(client, member, allocation):
    client.force_login(member)
    return client
