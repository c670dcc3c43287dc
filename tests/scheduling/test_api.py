"""REST API of scheduling: status codes, error bodies, permissions, field names, query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling.choices import BookingStatus
from scheduling.models import Booking
from scheduling.services import (
    booking_create,
    booking_policy_update,
    maintenance_window_create,
    outage_create,
)
from tests.factories import UserFactory
from tests.support import at, book

pytestmark = pytest.mark.usefixtures("now")


def z(value: datetime.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def booking_body(backend, project, start, end, **extra):
    return {"backend": backend.pk, "project": project.pk, "start": start.isoformat(), "end": end.isoformat(), **extra}


# --- backends ---


def test_backend_list_fields_for_researchers(make_client, researcher, backend):
    response = make_client(researcher).get("/api/v1/backends/")
    assert response.status_code == 200
    item = response.json()["results"][0]
    assert item["num_qubits"] == 5
    assert item["couplers"] == [["QB1", "QB3"], ["QB2", "QB3"], ["QB3", "QB4"], ["QB3", "QB5"]]
    assert item["policy"] == {
        "slot_minutes": 15,
        "min_minutes": 15,
        "max_minutes": 240,
        "horizon_days": 28,
        "free_cancel_hours": 24,
        "approval_over_minutes": None,
        "max_future_bookings": 10,
        "max_queued_jobs": 20,
    }
    assert item["timing"] == {
        "prx_ns": 120,
        "cz_ns": 120,
        "readout_ns": 1500,
        "rep_delay_us": 200,
        "overhead_s": "2.000",
    }
    assert item["latest_calibration"]["qubits"][0]["t1_us"] == 36.0
    assert item["latest_calibration"]["measured_at"].endswith("Z")


def test_backend_list_query_count_is_constant(make_client, researcher, make_backend, django_assert_num_queries):
    client = make_client(researcher)
    make_backend(name="one")
    with CaptureQueriesContext(connection) as first:
        client.get("/api/v1/backends/")
    make_backend(name="two")
    make_backend(name="three")
    with django_assert_num_queries(len(first)):
        assert len(client.get("/api/v1/backends/").json()["results"]) == 3


def test_backend_create_by_staff_only(make_client, researcher, facility_manager):
    from tests.factories import EquipmentFactory

    qpu = EquipmentFactory()
    body = {"name": "spark-2", "display_name": "Spark 2", "site": qpu.site.pk, "equipment": qpu.pk}
    assert make_client(researcher).post("/api/v1/backends/", body, format="json").status_code == 403
    response = make_client(facility_manager).post(
        "/api/v1/backends/", {**body, "policy": {"max_future_bookings": 3}}, format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["qubits"] == ["QB1", "QB2", "QB3", "QB4", "QB5"]
    assert data["policy"]["max_future_bookings"] == 3
    assert data["latest_calibration"]["couplers"][0]["cz_fidelity"] == 0.962


def test_unauthenticated_is_401(api_client):
    assert api_client.get("/api/v1/backends/").status_code == 401


# --- availability ---


def test_availability_busy_and_free(make_client, researcher, backend, project, make_project):
    other_user = UserFactory()
    other = make_project(code="OTHER-1", members=[other_user])
    book(backend, project, researcher, at(2), at(3))
    book(backend, other, other_user, at(4), at(5))
    maintenance_window_create(backend=backend, starts_at=at(6), ends_at=at(7), title="Cal", kind="calibration")
    response = make_client(researcher).get(
        f"/api/v1/backends/{backend.pk}/availability/", {"start": z(at(0)), "end": z(at(8))}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["backend"] == backend.pk
    assert [(b["start"], b["kind"], b.get("project")) for b in data["busy"]] == [
        (z(at(2)), "booking", "CBQRC-2026-01"),
        (z(at(4)), "booking", None),  # not the viewer's project: no code
        (z(at(6)), "maintenance", None),
    ]
    assert data["free"] == [
        {"start": z(at(0)), "end": z(at(2))},
        {"start": z(at(3)), "end": z(at(4))},
        {"start": z(at(5)), "end": z(at(6))},
        {"start": z(at(7)), "end": z(at(8))},
    ]


def test_availability_stops_at_the_horizon_and_outage(make_client, researcher, backend):
    outage_create(backend=backend, starts_at=at(-1), severity="major")
    response = make_client(researcher).get(
        f"/api/v1/backends/{backend.pk}/availability/", {"start": z(at(0, days=20)), "end": z(at(0, days=31))}
    )
    data = response.json()
    assert data["busy"][0]["kind"] == "outage"
    assert data["busy"][0]["end"] is None
    assert data["free"] == [{"start": z(at(0, days=20)), "end": z(at(0, days=28))}]
    near = make_client(researcher).get(
        f"/api/v1/backends/{backend.pk}/availability/", {"start": z(at(0)), "end": z(at(3))}
    )
    assert near.json()["free"] == [{"start": z(at(1)), "end": z(at(3))}]


def test_availability_refuses_more_than_31_days(make_client, researcher, backend):
    response = make_client(researcher).get(
        f"/api/v1/backends/{backend.pk}/availability/", {"start": z(at(0)), "end": z(at(1, days=31))}
    )
    assert response.status_code == 400
    assert "end" in response.json()


def test_availability_query_count_is_constant(make_client, researcher, backend, project, django_assert_num_queries):
    client = make_client(researcher)
    url = f"/api/v1/backends/{backend.pk}/availability/"
    params = {"start": z(at(0)), "end": z(at(0, days=7))}
    book(backend, project, researcher, at(1), at(2))
    with CaptureQueriesContext(connection) as first:
        client.get(url, params)
    for day in range(1, 5):
        book(backend, project, researcher, at(1, days=day), at(2, days=day))
        maintenance_window_create(
            backend=backend, starts_at=at(5, days=day), ends_at=at(6, days=day), title="m", kind="other"
        )
    with django_assert_num_queries(len(first)):
        assert len(client.get(url, params).json()["busy"]) == 9


# --- bookings ---


def test_booking_post_201_with_utc_times(make_client, researcher, backend, project):
    response = make_client(researcher).post(
        "/api/v1/bookings/",
        booking_body(backend, project, at(1).astimezone(datetime.timezone(datetime.timedelta(hours=9))), at(2)),
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "confirmed"
    assert data["start"] == "2026-03-02T01:00:00Z"
    assert data["charged_hours"] == "1.00"
    assert set(data) >= {
        "id",
        "backend",
        "project",
        "user",
        "start",
        "end",
        "purpose",
        "status",
        "charged_hours",
        "late_cancellation",
        "cancelled_at",
        "cancel_reason",
        "created_at",
    }


def test_booking_post_pending_when_approval_applies(make_client, researcher, backend, project):
    booking_policy_update(backend=backend, approval_over_minutes=30)
    response = make_client(researcher).post("/api/v1/bookings/", booking_body(backend, project, at(1), at(2)))
    assert response.status_code == 201
    assert response.json()["status"] == "pending"


def test_booking_post_conflict_body(make_client, researcher, backend, project):
    book(backend, project, researcher, at(1), at(2))
    response = make_client(researcher).post("/api/v1/bookings/", booking_body(backend, project, at(1.5), at(2.5)))
    assert response.status_code == 409
    assert response.json() == {
        "detail": "The time overlaps another booking.",
        "code": "booking_conflict",
        "conflicts": [{"start": z(at(1)), "end": z(at(2)), "kind": "booking"}],
    }


def test_booking_post_policy_violation_body(make_client, researcher, backend, project):
    response = make_client(researcher).post(
        "/api/v1/bookings/", booking_body(backend, project, at(1) + datetime.timedelta(minutes=7), at(2))
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "policy_violation"
    assert body["rule"] == "slot_alignment"
    assert "slot" in body["detail"]


def test_booking_post_allocation_exceeded_body(make_client, researcher, backend, make_project):
    project = make_project(code="TINY-1", members=[researcher], hours="0.5")
    response = make_client(researcher).post("/api/v1/bookings/", booking_body(backend, project, at(1), at(2)))
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["requested_hours"], body["remaining_hours"]) == ("allocation_exceeded", "1.00", "0.50")


def test_booking_post_not_member_403(make_client, backend, project):
    response = make_client(UserFactory()).post("/api/v1/bookings/", booking_body(backend, project, at(1), at(2)))
    assert response.status_code == 403
    assert response.json()["code"] == "not_member"


def test_booking_post_bad_input_400(make_client, researcher, backend, project):
    response = make_client(researcher).post("/api/v1/bookings/", {"backend": backend.pk, "start": "soon"})
    assert response.status_code == 400
    assert {"project", "start", "end"} <= set(response.json())


def test_staff_book_for_member_with_override(make_client, facility_manager, researcher, backend, project):
    response = make_client(facility_manager).post(
        "/api/v1/bookings/",
        booking_body(backend, project, at(-30), at(-29), user=researcher.pk, override_policy=True),
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["user"] == researcher.pk
    assert response.json()["override_policy"] is True


def test_researcher_cannot_override_policy(make_client, researcher, backend, project):
    response = make_client(researcher).post(
        "/api/v1/bookings/", booking_body(backend, project, at(-30), at(-29), override_policy=True), format="json"
    )
    assert response.status_code == 403
    assert not Booking.objects.exists()


def test_researchers_see_only_their_projects_bookings(make_client, researcher, backend, project, make_project):
    other_user = UserFactory()
    other = make_project(code="OTHER-1", members=[other_user])
    mine = book(backend, project, researcher, at(1), at(2))
    theirs = book(backend, other, other_user, at(3), at(4))
    client = make_client(researcher)
    assert [b["id"] for b in client.get("/api/v1/bookings/").json()["results"]] == [mine.pk]
    assert client.get(f"/api/v1/bookings/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/v1/bookings/{theirs.pk}/cancel/").status_code == 404


def test_booking_filters(make_client, researcher, backend, project, facility_manager):
    colleague = UserFactory()
    from scheduling.services import membership_add

    membership_add(project=project, user=colleague)
    first = book(backend, project, researcher, at(1), at(2))
    second = book(backend, project, colleague, at(3), at(4))
    client = make_client(researcher)

    def ids(**params):
        return [b["id"] for b in client.get("/api/v1/bookings/", params).json()["results"]]

    assert ids(mine="true") == [first.pk]
    assert ids(start_after=z(at(2))) == [second.pk]
    assert ids(start_before=z(at(2))) == [first.pk]
    assert ids(status="confirmed", backend=backend.pk, project=project.pk) == [first.pk, second.pk]
    assert ids(status="cancelled") == []


def test_booking_list_query_count_is_constant(make_client, researcher, backend, project, django_assert_num_queries):
    client = make_client(researcher)
    book(backend, project, researcher, at(1), at(2))
    with CaptureQueriesContext(connection) as first:
        client.get("/api/v1/bookings/")
    for hour in range(3, 9):
        book(backend, project, researcher, at(hour), at(hour + 1))
    with django_assert_num_queries(len(first)):
        assert client.get("/api/v1/bookings/").json()["count"] == 7


# A created booking: token, backend and project (the serializer), membership with what holds the slot (one query,
# before the transaction), the service's transaction (a savepoint here, as the test runs in a transaction: 2), the
# backend row locked, what holds the slot again, the project's future bookings, the allocation, and the INSERT
# (issue 14: no relation-exists or constraint queries while the backend row is locked, and no savepoint of the
# INSERT's own; the database enforces the constraints).
BOOKING_CREATE_QUERIES = 11


def test_booking_create_query_count_is_pinned(make_client, researcher, backend, project, django_assert_num_queries):
    client = make_client(researcher)
    with django_assert_num_queries(BOOKING_CREATE_QUERIES):
        response = client.post("/api/v1/bookings/", booking_body(backend, project, at(2), at(3)), format="json")
    assert response.status_code == 201, response.content


# A booking refused for a conflict: token, backend, project, membership with what holds the slot, and the policy
# (its rules of the times come first): no transaction, no lock, no count of the project's bookings.
BOOKING_CONFLICT_QUERIES = 5


def test_booking_conflict_query_count_is_pinned(make_client, researcher, backend, project, django_assert_num_queries):
    book(backend, project, researcher, at(2), at(3))
    client = make_client(researcher)
    with django_assert_num_queries(BOOKING_CONFLICT_QUERIES):
        response = client.post("/api/v1/bookings/", booking_body(backend, project, at(2.5), at(3.5)), format="json")
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "booking_conflict"


def test_a_booking_is_never_deleted_through_the_api(make_client, researcher, facility_manager, backend, project):
    """Bookings are cancelled or rejected, never deleted: DELETE answers 405 for their owner and for staff alike."""
    booking = book(backend, project, researcher, at(30), at(31))
    for user in (researcher, facility_manager):
        response = make_client(user).delete(f"/api/v1/bookings/{booking.pk}/")
        assert response.status_code == 405, response.content
    assert Booking.objects.filter(pk=booking.pk, status=BookingStatus.CONFIRMED).exists()


def test_cancel_endpoint_refund_rules(make_client, researcher, backend, project):
    client = make_client(researcher)
    early = book(backend, project, researcher, at(30), at(31))
    late = book(backend, project, researcher, at(5), at(6))
    preview = client.get(f"/api/v1/bookings/{late.pk}/cancel-preview/").json()
    assert preview["late_cancellation"] is True
    assert preview["refund_hours"] == "0.00"
    response = client.post(f"/api/v1/bookings/{early.pk}/cancel/", {"reason": "user"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["charged_hours"]) == ("cancelled", "0.00")
    assert response.json()["cancelled_at"].endswith("Z")
    response = client.post(f"/api/v1/bookings/{late.pk}/cancel/")
    assert (response.json()["late_cancellation"], response.json()["charged_hours"]) == (True, "1.00")
    again = client.post(f"/api/v1/bookings/{late.pk}/cancel/")
    assert again.status_code == 409
    assert again.json()["code"] == "not_cancellable"


def test_researcher_cannot_cancel_for_maintenance(make_client, researcher, backend, project):
    booking = book(backend, project, researcher, at(5), at(6))
    response = make_client(researcher).post(f"/api/v1/bookings/{booking.pk}/cancel/", {"reason": "maintenance"})
    assert response.status_code == 400


def test_approve_and_reject_endpoints(make_client, researcher, facility_manager, backend, project):
    booking_policy_update(backend=backend, approval_over_minutes=30)
    first = book(backend, project, researcher, at(1), at(2))
    second = book(backend, project, researcher, at(3), at(4))
    assert make_client(researcher).post(f"/api/v1/bookings/{first.pk}/approve/").status_code == 403
    staff = make_client(facility_manager)
    assert staff.post(f"/api/v1/bookings/{first.pk}/approve/").json()["status"] == "confirmed"
    rejected = staff.post(f"/api/v1/bookings/{second.pk}/reject/").json()
    assert (rejected["status"], rejected["cancel_reason"]) == ("cancelled", "rejected")
    again = staff.post(f"/api/v1/bookings/{first.pk}/approve/")
    assert again.status_code == 409


def test_series_endpoint(make_client, researcher, backend, project):
    book(backend, project, researcher, at(1, days=1), at(2, days=1))
    response = make_client(researcher).post(
        "/api/v1/bookings/series/",
        {**booking_body(backend, project, at(1), at(2)), "repeat": {"freq": "daily", "count": 3}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert [b["start"] for b in data["created"]] == [z(at(1)), z(at(1, days=2))]
    assert data["skipped"][0]["start"] == z(at(1, days=1))
    assert data["skipped"][0]["code"] == "booking_conflict"
    assert data["skipped"][0]["detail"]


def test_series_endpoint_needs_count_or_until(make_client, researcher, backend, project):
    response = make_client(researcher).post(
        "/api/v1/bookings/series/",
        {**booking_body(backend, project, at(1), at(2)), "repeat": {"freq": "hourly"}},
        format="json",
    )
    assert response.status_code == 400


# --- downtime, calibrations ---


def test_maintenance_post_lists_cancelled_bookings(make_client, facility_manager, researcher, backend, project):
    booking = book(backend, project, researcher, at(10), at(11))
    body = {"backend": backend.pk, "start": z(at(9)), "end": z(at(12)), "kind": "calibration", "title": "Cal"}
    assert make_client(researcher).post("/api/v1/maintenance-windows/", body).status_code == 403
    response = make_client(facility_manager).post("/api/v1/maintenance-windows/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["cancelled_bookings"] == [booking.pk]
    assert response.json()["start"] == z(at(9))
    window_id = response.json()["id"]
    later = book(backend, project, researcher, at(12), at(13))
    patched = make_client(facility_manager).patch(
        f"/api/v1/maintenance-windows/{window_id}/", {"end": z(at(13))}, format="json"
    )
    assert patched.status_code == 200
    assert patched.json()["cancelled_bookings"] == [later.pk]
    listed = make_client(researcher).get("/api/v1/maintenance-windows/").json()["results"]
    assert listed[0]["end"] == z(at(13))


def test_outage_patch_closes_and_credits(make_client, facility_manager, researcher, backend, project):
    booking = booking_create(
        backend=backend,
        project=project,
        user=researcher,
        starts_at=at(-2),
        ends_at=at(-1),
        created_by=facility_manager,
        override_policy=True,
    )
    client = make_client(facility_manager)
    created = client.post(
        "/api/v1/outages/", {"backend": backend.pk, "start": z(at(-3)), "severity": "critical"}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["end"] is None
    closed = client.patch(f"/api/v1/outages/{created.json()['id']}/", {"end": z(at(-0.5))}, format="json")
    assert closed.status_code == 200
    booking.refresh_from_db()
    assert booking.credited_hours == 1


def test_calibration_post_validates(make_client, facility_manager, researcher, backend):
    from scheduling.services import calibration_data_default

    qubits, couplers = calibration_data_default(backend)
    body = {"backend": backend.pk, "qubits": qubits, "couplers": couplers}
    assert make_client(researcher).post("/api/v1/calibrations/", body, format="json").status_code == 403
    client = make_client(facility_manager)
    assert client.post("/api/v1/calibrations/", body, format="json").status_code == 201
    qubits[2]["t2_us"] = 100.0
    bad = client.post("/api/v1/calibrations/", {**body, "qubits": qubits}, format="json")
    assert bad.status_code == 400
    assert "qubits" in bad.json()


# --- projects, allocations ---


def test_projects_own_for_researchers_all_for_staff(make_client, researcher, facility_manager, project, make_project):
    other = make_project(code="OTHER-1")
    mine = make_client(researcher).get("/api/v1/projects/").json()["results"]
    assert [p["code"] for p in mine] == ["CBQRC-2026-01"]
    assert {"user": researcher.pk, "role": "member"} in mine[0]["members"]
    assert make_client(researcher).get(f"/api/v1/projects/{other.pk}/").status_code == 404
    assert make_client(facility_manager).get("/api/v1/projects/").json()["count"] == 2


def test_project_create_by_staff(make_client, facility_manager, researcher):
    from tests.factories import OrganizationFactory

    pi = UserFactory()
    body = {
        "code": "NEW-1",
        "title": "New",
        "institution": OrganizationFactory().pk,
        "pi": pi.pk,
        "members": [{"user": researcher.pk, "role": "member"}],
    }
    assert make_client(researcher).post("/api/v1/projects/", body, format="json").status_code == 403
    response = make_client(facility_manager).post("/api/v1/projects/", body, format="json")
    assert response.status_code == 201, response.json()
    assert sorted((m["user"], m["role"]) for m in response.json()["members"]) == sorted(
        [(pi.pk, "pi"), (researcher.pk, "member")]
    )


def test_allocations_hours_as_strings(make_client, researcher, backend, project, allocation):
    book(backend, project, researcher, at(1), at(2.5))
    data = make_client(researcher).get("/api/v1/allocations/").json()["results"]
    assert data == [
        {
            "id": allocation.pk,
            "project": project.pk,
            "backend": backend.pk,
            "hours": "100.00",
            "valid_from": "2026-01-01",
            "valid_until": "2026-12-31",
            "charged_hours": "1.50",
            "remaining_hours": "98.50",
        }
    ]


def test_allocation_list_query_count_is_constant(
    make_client, facility_manager, make_project, django_assert_num_queries
):
    client = make_client(facility_manager)
    make_project(code="A-1")
    with CaptureQueriesContext(connection) as first:
        client.get("/api/v1/allocations/")
    make_project(code="A-2")
    make_project(code="A-3")
    with django_assert_num_queries(len(first)):
        assert client.get("/api/v1/allocations/").json()["count"] == 3


def test_project_list_query_count_is_constant(make_client, facility_manager, make_project, django_assert_num_queries):
    client = make_client(facility_manager)
    make_project(code="A-1", members=[UserFactory()])
    with CaptureQueriesContext(connection) as first:
        client.get("/api/v1/projects/")
    make_project(code="A-2", members=[UserFactory(), UserFactory()])
    with django_assert_num_queries(len(first)):
        assert client.get("/api/v1/projects/").json()["count"] == 2


def test_statuses_are_api_values(backend, project, researcher):
    assert book(backend, project, researcher, at(1), at(2)).status == BookingStatus.CONFIRMED.value
