"""No double booking under concurrency: 20 threads, each with its own connection, race for one slot."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scheduling.choices import ACTIVE_BOOKING_STATUSES
from scheduling.models import Booking
from scheduling.services import allocation_create, backend_create, membership_add, project_create
from tests.factories import EquipmentFactory, OrganizationFactory, UserFactory

THREADS = 20


@pytest.fixture
def connection_per_client():
    """Twenty clients of a deployment are twenty worker processes, each with a connection of its own pool; here they
    are threads of one process, so its pool holds one connection per thread. The wait for a connection stays
    production's (`DATABASE_POOL_TIMEOUT`): only the pool's size models the processes."""
    options = connection.settings_dict["OPTIONS"]
    pool = options.get("pool")
    if not isinstance(pool, dict):  # SQLite, or the pool switched off
        yield
        return
    connection.close_pool()
    options["pool"] = {**pool, "min_size": 1, "max_size": THREADS + 2}
    try:
        yield
    finally:
        connection.close_pool()
        options["pool"] = pool


def test_concurrent_overlapping_requests_book_exactly_once(transactional_db, connection_per_client):
    qpu = EquipmentFactory()
    backend = backend_create(name="race", display_name="Race", site=qpu.site, equipment=qpu)
    users = [UserFactory() for _ in range(THREADS)]
    project = project_create(code="RACE-1", title="Race", institution=OrganizationFactory(), pi=users[0])
    for user in users[1:]:
        membership_add(project=project, user=user)
    today = datetime.datetime.now(tz=datetime.UTC).date()
    allocation_create(
        project=project,
        backend=backend,
        hours=Decimal("500"),
        valid_from=today - datetime.timedelta(days=1),
        valid_until=today + datetime.timedelta(days=30),
    )
    tokens = [Token.objects.create(user=user).key for user in users]
    slot = (datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=2)).replace(
        minute=0, second=0, microsecond=0
    )
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def request(index: int) -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[index]}")
            # Every request overlaps every other one (different lengths and offsets, same hour).
            start = slot + datetime.timedelta(minutes=15 * (index % 3))
            end = slot + datetime.timedelta(minutes=60 + 15 * (index % 4))
            barrier.wait(timeout=30)
            response = client.post(
                "/api/v1/bookings/",
                {"backend": backend.pk, "project": project.pk, "start": start.isoformat(), "end": end.isoformat()},
                format="json",
            )
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=request, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [201] + [409] * (THREADS - 1)
    assert Booking.objects.filter(backend=backend, status__in=ACTIVE_BOOKING_STATUSES).count() == 1


@pytest.mark.usefixtures("transactional_db")
def test_sqlite_test_database_is_a_file_with_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert connection.settings_dict["NAME"] != ":memory:"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
