"""The list pages run a constant number of queries however many rows they show."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AllocationFactory, BookingFactory, JobFactory, MembershipFactory, ProjectFactory
from tests.support import next_slot

pytestmark = pytest.mark.django_db

# Session + user, then the page's own reads (the counts are the same on PostgreSQL and SQLite).
QUERIES = {
    "portal:home": 9,
    "portal:booking-list": 5,
    "portal:job-list": 4,
    "portal:usage": 5,
    "portal:calendar": 8,
    "portal:project-list": 4,
}
LIST_PAGES = list(QUERIES)


def add_rows(backend, member, n, offset):
    for i in range(n):
        project = ProjectFactory()
        MembershipFactory(project=project, user=member)
        AllocationFactory(project=project, backend=backend)
        start = next_slot(30 + 3 * (offset + i))
        booking = BookingFactory(charged=True, backend=backend, project=project, user=member, starts_at=start)
        BookingFactory(
            charged=True,
            backend=backend,
            project=project,
            user=member,
            starts_at=start - datetime.timedelta(days=20),
            status="completed",
        )
        JobFactory(with_result=True, booking=booking)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", LIST_PAGES)
def test_list_pages_query_count_is_constant(portal_client, backend, member, name):
    url = reverse(name)
    add_rows(backend, member, 2, 0)
    few = count_queries(portal_client, url)
    add_rows(backend, member, 6, 2)
    assert count_queries(portal_client, url) == few == QUERIES[name]
