"""Admin: changelists without N+1, approval actions, maintenance confirmation step, allocation usage."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling.choices import BookingStatus
from scheduling.models import Backend, Booking, BookingPolicy, MaintenanceWindow
from scheduling.services import booking_policy_update
from tests.factories import EquipmentFactory, SiteFactory, UserFactory
from tests.support import at, book

pytestmark = pytest.mark.usefixtures("now")


@pytest.fixture
def admin_client_fm(client, facility_manager):
    client.force_login(facility_manager)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/scheduling/booking/",
        "/admin/scheduling/allocation/",
        "/admin/scheduling/project/",
        "/admin/scheduling/maintenancewindow/",
        "/admin/scheduling/backend/",
    ],
)
def test_changelist_query_count_is_constant(
    admin_client_fm, url, backend, researcher, make_project, django_assert_num_queries
):
    def add(code):
        user = UserFactory()
        project = make_project(code=code, members=[user])
        start = at(len(code))
        book(backend, project, user, start, start + (at(1) - at(0)))

    add("P-1")
    with CaptureQueriesContext(connection) as first:
        assert admin_client_fm.get(url).status_code == 200
    add("P-22")
    add("P-333")
    with django_assert_num_queries(len(first)):
        assert admin_client_fm.get(url).status_code == 200


def test_booking_changelist_shows_calendar(admin_client_fm, backend, project, researcher):
    book(backend, project, researcher, at(1), at(2))
    response = admin_client_fm.get("/admin/scheduling/booking/")
    assert b"booking-calendar" in response.content
    assert b"CBQRC-2026-01" in response.content


def test_approve_action(admin_client_fm, backend, project, researcher):
    booking_policy_update(backend=backend, approval_over_minutes=30)
    booking = book(backend, project, researcher, at(1), at(2))
    response = admin_client_fm.post(
        "/admin/scheduling/booking/", {"action": "approve_selected", "_selected_action": [booking.pk]}
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_maintenance_admin_asks_before_cancelling(admin_client_fm, backend, project, researcher):
    booking = book(backend, project, researcher, at(10), at(11))
    form = {
        "backend": backend.pk,
        "starts_at_0": "2026-03-02",
        "starts_at_1": "18:00:00",
        "ends_at_0": "2026-03-02",
        "ends_at_1": "21:00:00",
        "kind": "calibration",
        "title": "Cal",
    }
    # The admin works in the staff user's time zone (Asia/Seoul): 18:00-21:00 KST is 09:00-12:00 UTC.
    response = admin_client_fm.post("/admin/scheduling/maintenancewindow/add/", form)
    assert response.status_code == 200
    assert f"#{booking.pk}".encode() in response.content
    assert not MaintenanceWindow.objects.exists()
    response = admin_client_fm.post("/admin/scheduling/maintenancewindow/add/", {**form, "confirm_cancellations": "on"})
    assert response.status_code == 302
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED


def test_project_admin_shows_allocation_usage(admin_client_fm, project, backend, researcher):
    book(backend, project, researcher, at(1), at(2.5))
    response = admin_client_fm.get(f"/admin/scheduling/project/{project.pk}/change/")
    assert response.status_code == 200
    assert b"98.50" in response.content


def test_a_rule_the_service_refuses_in_the_admin_is_a_message_and_changes_nothing(admin_client_fm):
    # The QPU is installed at another site: the backend service refuses it (the form alone cannot tell).
    qpu = EquipmentFactory()
    elsewhere = SiteFactory()
    form = {
        "name": "spark-2",
        "display_name": "Spark 2",
        "site": elsewhere.pk,
        "equipment": qpu.pk,
        "qubits": '["QB1", "QB2", "QB3", "QB4", "QB5"]',
        "couplers": '[["QB1", "QB3"], ["QB2", "QB3"], ["QB3", "QB4"], ["QB3", "QB5"]]',
        "native_gates": '["prx", "cz", "measure"]',
        "status": "online",
        "prx_ns": 120,
        "cz_ns": 120,
        "readout_ns": 1500,
        "rep_delay_us": 200,
        "overhead_s": "2",
    }
    response = admin_client_fm.post("/admin/scheduling/backend/add/", form, follow=True)
    assert response.status_code == 200
    assert "installed at the backend" in response.content.decode()
    assert not Backend.objects.filter(name="spark-2").exists()
    assert not BookingPolicy.objects.filter(backend__name="spark-2").exists()
