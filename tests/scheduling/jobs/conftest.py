"""Fixtures of the job tests: a backend, a project with a member, and a booking in progress."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from accounts.models import User
from scheduling.models import Backend, Booking, Project
from tests.factories import BackendFactory, BookingFactory, MembershipFactory, ProjectFactory, UserFactory


@dataclass
class JobWorld:
    backend: Backend
    project: Project
    member: User
    booking: Booking


@pytest.fixture
def world(db) -> JobWorld:
    """A member of a project with a confirmed booking in progress on a backend."""
    backend = BackendFactory()
    project = ProjectFactory()
    member = UserFactory(username="member")
    MembershipFactory(project=project, user=member)
    booking = BookingFactory(backend=backend, project=project, user=member, in_progress=True)
    return JobWorld(backend=backend, project=project, member=member, booking=booking)


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")
