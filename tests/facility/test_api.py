import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from facility.choices import EquipmentStatus, OfficeStatus, WorkOrderStatus
from facility.models import Equipment, OfficeActivity, Organization, RegionalOffice, WorkOrder
from tests.factories import (
    EquipmentFactory,
    OfficeActivityFactory,
    OrganizationFactory,
    RegionalOfficeFactory,
    SiteFactory,
    StaffFactory,
    VendorFactory,
    WorkOrderFactory,
)

pytestmark = pytest.mark.django_db

ENDPOINTS = ["organizations", "sites", "offices", "office-activities", "equipment", "work-orders"]

FIELDS = {
    "organizations": {"id", "name", "short_name", "kind", "country", "identifier_scheme", "identifier", "parent"},
    "sites": {"id", "name", "organization", "address", "city", "country", "time_zone"},
    "offices": {"id", "name", "organization", "city", "country", "time_zone", "opened_on", "status", "head"},
    "office-activities": {
        "id", "office", "kind", "title", "start", "end", "organization", "participants", "notes"
    },
    "equipment": {
        "id", "site", "name", "kind", "manufacturer", "model", "serial_number", "installed_on", "warranty_until",
        "status", "contract_ref",
    },
    "work-orders": {
        "id", "equipment", "kind", "title", "description", "office", "assignee", "opened_at", "acknowledged_at",
        "resolved_at", "due_date", "status",
    },
}  # fmt: skip


def url(endpoint, pk=None, action=None):
    path = f"/api/v1/{endpoint}/"
    if pk is not None:
        path += f"{pk}/"
    if action:
        path += f"{action}/"
    return path


@pytest.fixture
def rows():
    """One row of every resource."""
    wo = WorkOrderFactory.create(
        office=RegionalOfficeFactory.create(), equipment=EquipmentFactory.create(contract_id=7, contract_number="C-7")
    )
    OfficeActivityFactory.create(office=wo.office, organization=wo.equipment.site.organization)
    return wo


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_field_names_are_those_of_the_contract(make_client, superuser, rows, endpoint):
    body = make_client(superuser).get(url(endpoint)).json()
    assert body["count"] >= 1
    assert FIELDS[endpoint] <= set(body["results"][0])


def test_equipment_contract_ref_is_an_object_or_null(make_client, superuser, rows):
    EquipmentFactory.create(site=rows.equipment.site)
    results = make_client(superuser).get(url("equipment")).json()["results"]
    refs = sorted((r["contract_ref"] for r in results), key=lambda r: r is None)
    assert refs == [{"id": 7, "number": "C-7"}, None]


def test_country_is_the_iso_code(make_client, superuser):
    OrganizationFactory.create(country="FI")
    assert make_client(superuser).get(url("organizations")).json()["results"][0]["country"] == "FI"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_gets_401(api_client, endpoint):
    assert api_client.get(url(endpoint)).status_code == 401


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_researcher_gets_403_everywhere(make_client, researcher, rows, endpoint):
    client = make_client(researcher)
    assert client.get(url(endpoint)).status_code == 403
    assert client.post(url(endpoint), {}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("organizations", 200),
        ("sites", 403),
        ("offices", 403),
        ("office-activities", 403),
        ("equipment", 403),
        ("work-orders", 403),
    ],
)
def test_procurement_officer_reads_organisations_only(make_client, procurement_officer, rows, endpoint, expected):
    assert make_client(procurement_officer).get(url(endpoint)).status_code == expected


def test_procurement_officer_may_edit_organisations_as_roles_say(make_client, procurement_officer):
    response = make_client(procurement_officer).post(
        url("organizations"), {"name": "Acme", "kind": "company", "country": "KR"}, format="json"
    )
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_office_staff_reads_every_facility_resource(make_client, office_staff, rows, endpoint):
    assert make_client(office_staff).get(url(endpoint)).status_code == 200


def test_office_staff_edits_offices_and_activities(make_client, office_staff):
    client = make_client(office_staff)
    vendor = VendorFactory.create()
    response = client.post(
        url("offices"),
        {"name": "IQM Seoul", "organization": vendor.pk, "city": "Seoul", "country": "KR", "time_zone": "Asia/Seoul",
         "opened_on": "2025-06-01", "status": "open"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    office_id = response.json()["id"]
    assert client.patch(url("offices", office_id), {"city": "Seoul (Gangnam)"}, format="json").status_code == 200
    response = client.post(
        url("office-activities"),
        {"office": office_id, "kind": "training", "title": "Spark basics", "start": "2025-07-01T09:00:00+09:00",
         "end": "2025-07-01T12:00:00+09:00", "participants": 12},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    assert response.json()["start"] == "2025-07-01T00:00:00Z"


def test_office_staff_cannot_write_equipment(make_client, office_staff):
    site = SiteFactory.create()
    equipment = EquipmentFactory.create(site=site, name="QPU")
    client = make_client(office_staff)
    response = client.post(
        url("equipment"),
        {"site": site.pk, "name": "Chiller", "kind": "chiller", "manufacturer": "X", "serial_number": "1"},
        format="json",
    )
    assert response.status_code == 403
    assert client.patch(url("equipment", equipment.pk), {"name": "Renamed"}, format="json").status_code == 403
    assert Equipment.objects.get(pk=equipment.pk).name == "QPU"
    assert Equipment.objects.count() == 1


def test_office_staff_cannot_open_work_orders_but_may_acknowledge(make_client, office_staff):
    equipment = EquipmentFactory.create()
    client = make_client(office_staff)
    response = client.post(
        url("work-orders"), {"equipment": equipment.pk, "kind": "corrective", "title": "x"}, format="json"
    )
    assert response.status_code == 403
    assert not WorkOrder.objects.filter(title="x").exists()
    wo = WorkOrderFactory.create(equipment=equipment)
    response = client.post(url("work-orders", wo.pk, "acknowledge"), {}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"


def test_facility_manager_edits_equipment_and_work_orders(make_client, facility_manager):
    site = SiteFactory.create()
    client = make_client(facility_manager)
    response = client.post(
        url("equipment"),
        {"site": site.pk, "name": "Spark", "kind": "qpu", "manufacturer": "IQM Quantum Computers",
         "serial_number": "SPARK-1", "contract_ref": {"id": 3, "number": "PPS-2025-001"}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    equipment_id = response.json()["id"]
    assert response.json()["contract_ref"] == {"id": 3, "number": "PPS-2025-001"}
    response = client.patch(url("equipment", equipment_id), {"contract_ref": None}, format="json")
    assert response.json()["contract_ref"] is None

    response = client.post(
        url("work-orders"),
        {"equipment": equipment_id, "kind": "preventive", "title": "PM", "due_date": "2030-01-01"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    wo = response.json()
    assert wo["status"] == "open"
    assert wo["opened_by"] == facility_manager.pk
    ack = client.post(url("work-orders", wo["id"], "acknowledge"), {}, format="json").json()
    assert ack["acknowledged_by"] == facility_manager.pk
    done = client.post(url("work-orders", wo["id"], "resolve"), {"resolution": "Done"}, format="json").json()
    assert done["status"] == "resolved"
    assert done["resolution"] == "Done"
    assert done["resolved_at"].endswith("Z")


def test_facility_manager_cannot_edit_offices_they_only_may_by_roles(make_client, facility_manager):
    # Facility managers hold every facility permission except delete.
    office = RegionalOfficeFactory.create()
    response = make_client(facility_manager).patch(url("offices", office.pk), {"city": "Busan"}, format="json")
    assert response.status_code == 200


def test_illegal_work_order_step_answers_409_with_allowed(make_client, facility_manager):
    wo = WorkOrderFactory.create()
    response = make_client(facility_manager).post(url("work-orders", wo.pk, "resolve"), {}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert body["allowed"] == ["acknowledged", "cancelled"]
    assert WorkOrder.objects.get(pk=wo.pk).status == WorkOrderStatus.OPEN


def test_cancel_records_the_reason(make_client, facility_manager):
    wo = WorkOrderFactory.create()
    body = (
        make_client(facility_manager).post(url("work-orders", wo.pk, "cancel"), {"reason": "Dup"}, format="json").json()
    )
    assert body["status"] == "cancelled"
    assert body["resolution"] == "Dup"
    assert body["cancelled_by"] == facility_manager.pk


def test_resolving_before_opening_is_a_400(make_client, facility_manager):
    wo = WorkOrderFactory.create()
    client = make_client(facility_manager)
    client.post(url("work-orders", wo.pk, "acknowledge"), {}, format="json")
    before = (wo.opened_at - dt.timedelta(hours=1)).isoformat()
    response = client.post(url("work-orders", wo.pk, "resolve"), {"at": before}, format="json")
    assert response.status_code == 400
    assert "resolved_at" in response.json()
    assert WorkOrder.objects.get(pk=wo.pk).status == WorkOrderStatus.ACKNOWLEDGED


def test_retired_equipment_refuses_work_orders_over_the_api(make_client, facility_manager):
    equipment = EquipmentFactory.create(status=EquipmentStatus.RETIRED)
    response = make_client(facility_manager).post(
        url("work-orders"), {"equipment": equipment.pk, "kind": "corrective", "title": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "equipment" in response.json()
    assert not WorkOrder.objects.exists()


def test_work_order_patch_cannot_change_status(make_client, facility_manager):
    wo = WorkOrderFactory.create()
    response = make_client(facility_manager).patch(
        url("work-orders", wo.pk), {"status": "resolved", "title": "New"}, format="json"
    )
    assert response.status_code == 200
    wo.refresh_from_db()
    assert (wo.status, wo.title) == (WorkOrderStatus.OPEN, "New")


def test_office_close_refused_with_open_work_orders(make_client, office_staff):
    office = RegionalOfficeFactory.create()
    wo = WorkOrderFactory.create(office=office)
    response = make_client(office_staff).post(url("offices", office.pk, "close"), {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "office_has_open_work_orders"
    assert response.json()["work_orders"] == [wo.pk]
    assert RegionalOffice.objects.get(pk=office.pk).status == OfficeStatus.OPEN


def test_office_close(make_client, office_staff):
    office = RegionalOfficeFactory.create()
    response = make_client(office_staff).post(url("offices", office.pk, "close"), {"closed_on": "2026-01-31"})
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert response.json()["closed_on"] == "2026-01-31"
    again = make_client(office_staff).post(url("offices", office.pk, "close"), {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"


def test_office_close_needs_change_permission(make_client, procurement_officer):
    office = RegionalOfficeFactory.create()
    assert make_client(procurement_officer).post(url("offices", office.pk, "close")).status_code == 403


def test_validation_errors_are_400_with_fields(make_client, office_staff):
    office = RegionalOfficeFactory.create()
    response = make_client(office_staff).post(
        url("office-activities"),
        {"office": office.pk, "kind": "training", "title": "T", "start": "2025-07-01T09:00:00Z",
         "end": "2025-07-01T09:00:00Z"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert not OfficeActivity.objects.exists()
    response = make_client(office_staff).post(
        url("offices"),
        {"name": "X", "organization": VendorFactory.create().pk, "city": "X", "country": "KR", "time_zone": "Seoul"},
        format="json",
    )
    assert response.status_code == 400
    assert "time_zone" in response.json()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_delete_is_not_offered(make_client, superuser, rows, endpoint):
    model_pk = make_client(superuser).get(url(endpoint)).json()["results"][0]["id"]
    assert make_client(superuser).delete(url(endpoint, model_pk)).status_code == 405


def test_work_order_filters(make_client, facility_manager):
    office = RegionalOfficeFactory.create()
    now = timezone.now()
    a = WorkOrderFactory.create(office=office, kind="inspection", opened_at=now - dt.timedelta(days=40))
    b = WorkOrderFactory.create(office=office, kind="corrective", opened_at=now - dt.timedelta(days=2))
    c = WorkOrderFactory.create(kind="corrective", opened_at=now - dt.timedelta(days=1))
    client = make_client(facility_manager)

    def ids(query):
        return {r["id"] for r in client.get(url("work-orders"), query).json()["results"]}

    assert ids({"office": office.pk}) == {a.pk, b.pk}
    assert ids({"kind": "corrective"}) == {b.pk, c.pk}
    assert ids({"status": "open", "office": office.pk, "kind": "inspection"}) == {a.pk}
    since = (now - dt.timedelta(days=10)).isoformat()
    assert ids({"opened_after": since}) == {b.pk, c.pk}
    assert ids({"opened_before": since}) == {a.pk}
    assert ids({"site": c.equipment.site_id}) == {c.pk}


def test_activity_filters(make_client, office_staff):
    office = RegionalOfficeFactory.create()
    now = timezone.now()
    a = OfficeActivityFactory.create(office=office, kind="training", start=now - dt.timedelta(days=30))
    b = OfficeActivityFactory.create(office=office, kind="support", start=now - dt.timedelta(days=3))
    OfficeActivityFactory.create(kind="support")
    client = make_client(office_staff)

    def ids(query):
        return {r["id"] for r in client.get(url("office-activities"), query).json()["results"]}

    assert ids({"office": office.pk, "kind": "support"}) == {b.pk}
    assert ids({"office": office.pk, "start_before": (now - dt.timedelta(days=10)).isoformat()}) == {a.pk}
    assert ids({"office": office.pk, "start_after": (now - dt.timedelta(days=10)).isoformat()}) == {b.pk}


def test_equipment_and_office_filters(make_client, facility_manager):
    site = SiteFactory.create()
    qpu = EquipmentFactory.create(site=site, kind="qpu")
    EquipmentFactory.create(site=site, kind="cryostat")
    planned = RegionalOfficeFactory.create(status=OfficeStatus.PLANNED, opened_on=None)
    RegionalOfficeFactory.create()
    client = make_client(facility_manager)
    assert [r["id"] for r in client.get(url("equipment"), {"site": site.pk, "kind": "qpu"}).json()["results"]] == [
        qpu.pk
    ]
    assert [r["id"] for r in client.get(url("offices"), {"status": "planned"}).json()["results"]] == [planned.pk]


def _make_more():
    office = RegionalOfficeFactory.create(
        organization=VendorFactory.create(parent=OrganizationFactory.create()), head=None
    )
    wo = WorkOrderFactory.create(office=office, assignee=StaffFactory.create())
    OfficeActivityFactory.create(office=office, organization=OrganizationFactory.create())
    EquipmentFactory.create(site=wo.equipment.site)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_list_queries_stay_constant_as_rows_grow(make_client, superuser, endpoint):
    client = make_client(superuser)
    _make_more()
    client.get(url(endpoint))  # warm up (token, content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(endpoint)).status_code == 200
    for _ in range(5):
        _make_more()
    with CaptureQueriesContext(connection) as many:
        assert client.get(url(endpoint)).status_code == 200
    assert len(many) == len(few)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_list_query_count_is_pinned(make_client, facility_manager, endpoint, django_assert_num_queries):
    client = make_client(facility_manager)
    for _ in range(3):
        _make_more()
    client.get(url(endpoint))
    # token + user, the user's permissions (group perms cached per request), count, page
    with django_assert_num_queries(5):
        client.get(url(endpoint))


def test_schema_builds(make_client, superuser):
    response = make_client(superuser).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/work-orders/{id}/acknowledge/" in response.content
    assert Organization.objects.count() == 0
