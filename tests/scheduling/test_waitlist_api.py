"""REST API of the waitlist (API.md): join a taken slot (201 waiting), `slot_free` for a free one, leave with
DELETE (204, the entry kept as `left`), researchers see their own entries and staff all, constant queries."""

import datetime

import pytest

from scheduling.choices import WaitlistStatus
from scheduling.models import WaitlistEntry
from tests.factories import UserFactory, WaitlistEntryFactory
from tests.support import at, book, wait_for_slot

pytestmark = pytest.mark.usefixtures("now")
URL = "/api/v1/waitlist/"


def z(value: datetime.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def body(backend, project, start, end, **extra):
    return {"backend": backend.pk, "project": project.pk, "start": start.isoformat(), "end": end.isoformat(), **extra}


@pytest.fixture
def rival(make_project):
    user = UserFactory(username="rival")
    return {"user": user, "project": make_project(code="OTHER-2026-09", members=[user])}


@pytest.fixture
def taken(backend, rival):
    return book(backend, rival["project"], rival["user"], at(25), at(26))


def test_post_a_taken_slot_is_201_waiting(make_client, researcher, backend, project, taken):
    response = make_client(researcher).post(URL, body(backend, project, at(25), at(26)), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert {k: data[k] for k in ("backend", "project", "user", "start", "end", "status", "booking")} == {
        "backend": backend.pk,
        "project": project.pk,
        "user": researcher.pk,
        "start": z(at(25)),
        "end": z(at(26)),
        "status": "waiting",
        "booking": None,
    }
    assert data["created_at"].endswith("Z")
    assert WaitlistEntry.objects.get().pk == data["id"]


def test_post_a_free_slot_is_409_slot_free(make_client, researcher, backend, project, taken):
    response = make_client(researcher).post(URL, body(backend, project, at(27), at(28)), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "slot_free"
    assert response.json()["detail"]
    assert not WaitlistEntry.objects.exists()


def test_post_keeps_the_booking_checks(make_client, researcher, backend, project, taken):
    client = make_client(researcher)
    misaligned = client.post(URL, body(backend, project, at(25) + datetime.timedelta(minutes=5), at(26)), format="json")
    assert (misaligned.status_code, misaligned.json()["code"], misaligned.json()["rule"]) == (
        400,
        "policy_violation",
        "slot_alignment",
    )
    stranger = make_client(UserFactory()).post(URL, body(backend, project, at(25), at(26)), format="json")
    assert (stranger.status_code, stranger.json()["code"]) == (403, "not_member")
    assert client.post(URL, {"backend": backend.pk}, format="json").status_code == 400
    naive = client.post(URL, {**body(backend, project, at(25), at(26)), "start": "2026-03-03T01:00:00"}, format="json")
    assert naive.status_code == 400
    assert not WaitlistEntry.objects.exists()


def test_post_twice_is_400_on_start(make_client, researcher, backend, project, taken):
    client = make_client(researcher)
    assert client.post(URL, body(backend, project, at(25), at(26)), format="json").status_code == 201
    again = client.post(URL, body(backend, project, at(25), at(26)), format="json")
    assert again.status_code == 400
    assert "start" in again.json()
    assert WaitlistEntry.objects.count() == 1


def test_delete_leaves_and_keeps_the_entry(make_client, researcher, backend, project, taken):
    entry = wait_for_slot(backend, project, researcher, at(25), at(26))
    client = make_client(researcher)
    response = client.delete(f"{URL}{entry.pk}/")
    assert response.status_code == 204
    assert client.get(f"{URL}{entry.pk}/").json()["status"] == "left"
    again = client.delete(f"{URL}{entry.pk}/")
    assert (again.status_code, again.json()["code"], again.json()["status"]) == (409, "not_cancellable", "left")


def test_others_entries_are_404_for_researchers_and_visible_to_staff(
    make_client, researcher, backend, project, taken, rival, facility_manager
):
    entry = wait_for_slot(backend, project, researcher, at(25), at(26))
    other = make_client(rival["user"])
    assert other.get(f"{URL}{entry.pk}/").status_code == 404
    assert other.delete(f"{URL}{entry.pk}/").status_code == 404
    assert other.get(URL).json()["count"] == 0
    staff = make_client(facility_manager)
    assert staff.get(URL).json()["count"] == 1
    assert staff.delete(f"{URL}{entry.pk}/").status_code == 204


def test_a_cancellation_through_the_api_books_the_waiting_entry(
    make_client, researcher, backend, project, taken, rival
):
    entry = wait_for_slot(backend, project, researcher, at(25), at(26))
    assert make_client(rival["user"]).post(f"/api/v1/bookings/{taken.pk}/cancel/").status_code == 200
    data = make_client(researcher).get(f"{URL}{entry.pk}/").json()
    assert data["status"] == "booked"
    booking = make_client(researcher).get(f"/api/v1/bookings/{data['booking']}/").json()
    assert (booking["user"], booking["start"], booking["status"], booking["charged_hours"]) == (
        researcher.pk,
        z(at(25)),
        "confirmed",
        "1.00",
    )


def test_filters(make_client, researcher, backend, project, taken, rival):
    wait_for_slot(backend, project, researcher, at(25), at(26))
    wait_for_slot(backend, project, researcher, at(25), at(25.5))
    WaitlistEntryFactory(backend=backend, project=project, user=researcher, status=WaitlistStatus.LEFT)
    client = make_client(researcher)
    assert client.get(URL, {"status": "waiting"}).json()["count"] == 2
    assert client.get(URL, {"status": "left"}).json()["count"] == 1
    assert client.get(URL, {"project": project.pk}).json()["count"] == 3
    assert client.get(URL, {"status": "nonsense"}).status_code == 400


# Token with its user, count, page (backend, project, user and booking joined): none per row.
WAITLIST_LIST_QUERIES = 3


def test_list_query_count_is_pinned(make_client, researcher, backend, project, django_assert_num_queries):
    client = make_client(researcher)
    for hours in (30, 32, 34):
        WaitlistEntryFactory(
            backend=backend, project=project, user=researcher, starts_at=at(hours), ends_at=at(hours + 1)
        )
    with django_assert_num_queries(WAITLIST_LIST_QUERIES):
        assert client.get(URL).json()["count"] == 3
    for hours in (36, 38, 40):
        WaitlistEntryFactory(
            backend=backend, project=project, user=researcher, starts_at=at(hours), ends_at=at(hours + 1)
        )
    with django_assert_num_queries(WAITLIST_LIST_QUERIES):
        assert client.get(URL).json()["count"] == 6


# Joining: token with its user, backend and project (the serializer); the service's savepoint, the membership, the
# backend row locked, the project's future bookings (policy), what holds the slot, the allocation, the same wait
# already there; the INSERT (no relation or constraint queries: the database enforces them), the release; the entry
# read back with its relations for the response.
WAITLIST_JOIN_QUERIES = 13


def test_join_query_count_is_pinned(make_client, researcher, backend, project, taken, django_assert_num_queries):
    client = make_client(researcher)
    with django_assert_num_queries(WAITLIST_JOIN_QUERIES):
        response = client.post(URL, body(backend, project, at(25), at(26)), format="json")
    assert response.status_code == 201, response.content
