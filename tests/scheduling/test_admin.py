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


def test_allocation_admin_refuses_hours_below_what_bookings_hold_and_changes_nothing(
    admin_client_fm, backend, project, researcher, allocation
):
    book(backend, project, researcher, at(1), at(4))  # holds 3 hours
    form = {
        "project": project.pk,
        "backend": backend.pk,
        "hours": "2",
        "valid_from": allocation.valid_from.isoformat(),
        "valid_until": allocation.valid_until.isoformat(),
    }
    response = admin_client_fm.post(f"/admin/scheduling/allocation/{allocation.pk}/change/", form, follow=True)
    assert response.status_code == 200
    assert any(m.level_tag == "error" for m in response.context["messages"])
    allocation.refresh_from_db()
    assert allocation.hours == 100


def test_project_admin_creates_through_the_service_the_pi_is_a_member_once(admin_client_fm, researcher):
    from facility.models import Organization
    from scheduling.models import Membership, Project
    from tests.factories import OrganizationFactory

    institution = OrganizationFactory()
    pi = UserFactory()
    form = {
        "code": "NEW-2026-01",
        "title": "New project",
        "institution": institution.pk,
        "pi": pi.pk,
        "description": "",
        "active": "on",
        # the PI is also listed as a member in the inline: still one membership row, with role `pi`
        "memberships-TOTAL_FORMS": "2",
        "memberships-INITIAL_FORMS": "0",
        "memberships-0-user": pi.pk,
        "memberships-0-role": "member",
        "memberships-1-user": researcher.pk,
        "memberships-1-role": "member",
        "allocations-TOTAL_FORMS": "0",
        "allocations-INITIAL_FORMS": "0",
    }
    response = admin_client_fm.post("/admin/scheduling/project/add/", form, follow=True)
    assert response.status_code == 200, response.content
    project = Project.objects.get(code="NEW-2026-01")
    roles = dict(Membership.objects.filter(project=project).values_list("user_id", "role"))
    assert roles == {pi.pk: "pi", researcher.pk: "member"}
    assert Organization.objects.filter(pk=institution.pk).exists()


def test_calibration_admin_records_through_the_service_and_never_changes_a_record(admin_client_fm, backend):
    from scheduling.models import CalibrationRecord

    record = CalibrationRecord.objects.filter(backend=backend).latest("measured_at")
    response = admin_client_fm.get(f"/admin/scheduling/calibrationrecord/{record.pk}/change/")
    assert response.status_code == 200
    assert b'name="_save"' not in response.content  # a measurement is read-only; a new record supersedes it
    before = CalibrationRecord.objects.count()
    bad = {
        "backend": backend.pk,
        "measured_at_0": "2026-03-01",
        "measured_at_1": "10:00",
        "qubits": "[]",
        "couplers": "[]",
        "notes": "",
    }
    response = admin_client_fm.post("/admin/scheduling/calibrationrecord/add/", bad)
    assert response.status_code == 200  # the form again, with the service's reasons
    assert CalibrationRecord.objects.count() == before


def test_policy_admin_changes_through_the_service(admin_client_fm, backend):
    policy = BookingPolicy.objects.get(backend=backend)
    form = {
        "slot_minutes": 15,
        "min_minutes": 60,
        "max_minutes": 30,  # shorter than the minimum: the service refuses
        "horizon_days": 28,
        "free_cancel_hours": 24,
        "approval_over_minutes": "",
        "max_future_bookings": 10,
    }
    admin_client_fm.post(f"/admin/scheduling/bookingpolicy/{policy.pk}/change/", form, follow=True)
    policy.refresh_from_db()
    assert (policy.min_minutes, policy.max_minutes) == (15, 240)


def test_project_admin_refuses_a_second_pi_in_the_members_and_changes_nothing(admin_client_fm, project, researcher):
    from scheduling.models import Membership

    pi_row = Membership.objects.get(project=project, user=project.pi)
    member_row = Membership.objects.get(project=project, user=researcher)
    form = {
        "code": project.code,
        "title": "Renamed",
        "institution": project.institution_id,
        "pi": project.pi_id,
        "description": "",
        "active": "on",
        "memberships-TOTAL_FORMS": "2",
        "memberships-INITIAL_FORMS": "2",
        "memberships-0-id": pi_row.pk,
        "memberships-0-project": project.pk,
        "memberships-0-user": project.pi_id,
        "memberships-0-role": "pi",
        "memberships-1-id": member_row.pk,
        "memberships-1-project": project.pk,
        "memberships-1-user": researcher.pk,
        "memberships-1-role": "pi",
        "allocations-TOTAL_FORMS": "1",
        "allocations-INITIAL_FORMS": "1",
        "allocations-0-id": project.allocations.get().pk,
        "allocations-0-project": project.pk,
    }
    response = admin_client_fm.post(f"/admin/scheduling/project/{project.pk}/change/", form, follow=True)
    assert "one PI" in response.content.decode()
    project.refresh_from_db()
    assert project.title != "Renamed"
    assert Membership.objects.get(pk=member_row.pk).role == "member"
