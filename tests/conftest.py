"""Fixtures shared by every test module."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.roles import FACILITY_MANAGERS, OFFICE_STAFF, PROCUREMENT_OFFICERS
from tests.factories import StaffFactory, UserFactory


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def make_client() -> Callable[..., APIClient]:
    """An API client authenticated by token as the given user."""

    def make(user) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def researcher(db):
    return UserFactory(username="researcher")


@pytest.fixture
def superuser(db):
    return StaffFactory(username="root", is_superuser=True)


@pytest.fixture
def facility_manager(db):
    return StaffFactory(username="fm", groups=[FACILITY_MANAGERS])


@pytest.fixture
def procurement_officer(db):
    return StaffFactory(username="po", groups=[PROCUREMENT_OFFICERS])


@pytest.fixture
def office_staff(db):
    return StaffFactory(username="os", groups=[OFFICE_STAFF])


@pytest.fixture
def celery_worker(transactional_db) -> Iterator[object]:
    """A real Celery worker (in a thread) consuming from Redis; tasks are no longer eager."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    assert settings.CELERY_BROKER_URL.startswith("redis://")
    app.conf.task_always_eager = False
    with app.connection_for_write() as conn:
        for queue in ("default", "qpu", "reports"):
            conn.default_channel.queue_purge(queue)
    try:
        with start_worker(
            app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=30,
            queues=["default", "qpu", "reports"],
        ) as worker:
            yield worker
    finally:
        app.conf.task_always_eager = True
