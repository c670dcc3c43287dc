import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from facility.choices import EquipmentStatus, OfficeStatus, WorkOrderStatus
from facility.models import OfficeActivity, OfficeStaff, RegionalOffice, WorkOrder
from tests.factories import (
    EquipmentFactory,
    OfficeActivityFactory,
    OfficeStaffFactory,
    OrganizationFactory,
    RegionalOfficeFactory,
    StaffFactory,
    VendorFactory,
    WorkOrderFactory,
)

pytestmark = pytest.mark.django_db

# Session, user, count(s), page, plus one per foreign-key list filter's choices and the date hierarchy.
CHANGELIST_QUERIES = {
    "organization": 5,
    "site": 6,
    "regionaloffice": 8,
    "officestaff": 7,
    "officeactivity": 8,
    "equipment": 9,
    "workorder": 9,
}

MODELS = ["organization", "site", "regionaloffice", "officestaff", "officeactivity", "equipment", "workorder"]


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def _more_rows():
    office = RegionalOfficeFactory.create(
        organization=VendorFactory.create(parent=OrganizationFactory.create()), head=StaffFactory.create()
    )
    OfficeStaffFactory.create(office=office)
    OfficeActivityFactory.create(office=office, organization=OrganizationFactory.create())
    WorkOrderFactory.create(office=office, assignee=StaffFactory.create())


def _inline_management(prefix, total=0, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.parametrize("model", MODELS)
def test_changelist_queries_stay_constant_as_rows_grow(admin_client, model):
    path = f"/admin/facility/{model}/"
    _more_rows()
    admin_client.get(path)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(path).status_code == 200
    for _ in range(6):
        _more_rows()
    with CaptureQueriesContext(connection) as many:
        assert admin_client.get(path).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


@pytest.mark.parametrize("model", MODELS)
def test_changelist_query_count_is_pinned(admin_client, model, django_assert_num_queries):
    for _ in range(4):
        _more_rows()
    admin_client.get(f"/admin/facility/{model}/")
    with django_assert_num_queries(CHANGELIST_QUERIES[model]):
        admin_client.get(f"/admin/facility/{model}/?q=a")


@pytest.mark.parametrize("model", MODELS)
def test_change_and_add_pages_render(admin_client, model):
    _more_rows()
    from django.apps import apps

    obj = apps.get_model("facility", model).objects.first()
    assert admin_client.get(f"/admin/facility/{model}/{obj.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/facility/{model}/add/").status_code == 200


def test_work_order_audit_fields_are_readonly(admin_client):
    wo = WorkOrderFactory.create()
    html = admin_client.get(f"/admin/facility/workorder/{wo.pk}/change/").content.decode()
    for field in ("status", "opened_at", "acknowledged_at", "resolved_by", "equipment"):
        assert f'name="{field}"' not in html
    assert 'name="title"' in html


def test_acknowledge_and_resolve_actions(admin_client, superuser):
    a, b = WorkOrderFactory.create(), WorkOrderFactory.create()
    response = admin_client.post(
        "/admin/facility/workorder/", {"action": "acknowledge_selected", "_selected_action": [a.pk, b.pk]}
    )
    assert response.status_code == 302
    assert set(WorkOrder.objects.values_list("status", flat=True)) == {WorkOrderStatus.ACKNOWLEDGED}
    assert WorkOrder.objects.get(pk=a.pk).acknowledged_by == superuser
    admin_client.post("/admin/facility/workorder/", {"action": "resolve_selected", "_selected_action": [a.pk]})
    assert WorkOrder.objects.get(pk=a.pk).status == WorkOrderStatus.RESOLVED


def test_resolve_action_refuses_open_work_orders(admin_client):
    wo = WorkOrderFactory.create()
    response = admin_client.post(
        "/admin/facility/workorder/", {"action": "resolve_selected", "_selected_action": [wo.pk]}, follow=True
    )
    assert "cannot become resolved" in response.content.decode()
    assert WorkOrder.objects.get(pk=wo.pk).status == WorkOrderStatus.OPEN


def test_actions_respect_model_permissions(client):
    viewer = StaffFactory.create(username="viewer")
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_workorder"))
    client.force_login(viewer)
    wo = WorkOrderFactory.create()
    response = client.post(
        "/admin/facility/workorder/", {"action": "acknowledge_selected", "_selected_action": [wo.pk]}
    )
    assert response.status_code in (200, 302)
    assert WorkOrder.objects.get(pk=wo.pk).status == WorkOrderStatus.OPEN


def test_admin_add_work_order_goes_through_the_service(admin_client, superuser):
    equipment = EquipmentFactory.create()
    response = admin_client.post(
        "/admin/facility/workorder/add/",
        {"equipment": equipment.pk, "kind": "corrective", "title": "Alarm", "description": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    wo = WorkOrder.objects.get(title="Alarm")
    assert wo.opened_by == superuser
    assert wo.status == WorkOrderStatus.OPEN


def test_admin_refuses_work_order_on_retired_equipment(admin_client):
    equipment = EquipmentFactory.create(status=EquipmentStatus.RETIRED)
    response = admin_client.post(
        "/admin/facility/workorder/add/",
        {"equipment": equipment.pk, "kind": "corrective", "title": "Alarm", "description": ""},
    )
    assert response.status_code == 200
    assert "takes no new work orders" in response.content.decode()
    assert not WorkOrder.objects.exists()


def _office_form(office, **changes):
    data = {
        "organization": office.organization_id,
        "name": office.name,
        "city": office.city,
        "country": office.country.code,
        "time_zone": office.time_zone,
        "opened_on": office.opened_on.isoformat() if office.opened_on else "",
        "closed_on": "",
        "status": office.status,
        "head": "",
        "notes": "",
        **_inline_management("staff"),
        **_inline_management("activities"),
    }
    data.update(changes)
    return data


def test_admin_cannot_close_office_with_open_work_orders(admin_client):
    office = RegionalOfficeFactory.create()
    WorkOrderFactory.create(office=office)
    response = admin_client.post(
        f"/admin/facility/regionaloffice/{office.pk}/change/", _office_form(office, status=OfficeStatus.CLOSED)
    )
    assert response.status_code == 200
    assert "open work orders" in response.content.decode()
    assert RegionalOffice.objects.get(pk=office.pk).status == OfficeStatus.OPEN


def test_admin_office_inlines_add_staff_and_activities(admin_client):
    office = RegionalOfficeFactory.create()
    member = StaffFactory.create(username="yk")
    data = _office_form(
        office,
        **_inline_management("staff", total=1),
        **_inline_management("activities", total=1),
        **{
            "staff-0-user": member.pk,
            "staff-0-role": "Head of office",
            "staff-0-since": "2025-06-01",
            "activities-0-kind": "training",
            "activities-0-title": "Spark basics",
            "activities-0-start_0": "2025-07-01",
            "activities-0-start_1": "09:00:00",
            "activities-0-end_0": "2025-07-01",
            "activities-0-end_1": "12:00:00",
            "activities-0-participants": "12",
        },
    )
    response = admin_client.post(f"/admin/facility/regionaloffice/{office.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert OfficeStaff.objects.get(office=office).user == member
    assert OfficeActivity.objects.get(office=office).participants == 12


def test_admin_office_inline_refuses_activity_ending_before_start(admin_client):
    office = RegionalOfficeFactory.create()
    data = _office_form(
        office,
        **_inline_management("activities", total=1),
        **{
            "activities-0-kind": "training",
            "activities-0-title": "Backwards",
            "activities-0-start_0": "2025-07-01",
            "activities-0-start_1": "12:00:00",
            "activities-0-end_0": "2025-07-01",
            "activities-0-end_1": "09:00:00",
            "activities-0-participants": "1",
        },
    )
    response = admin_client.post(f"/admin/facility/regionaloffice/{office.pk}/change/", data)
    assert response.status_code == 200
    assert not OfficeActivity.objects.exists()


def _equipment_form(equipment, **changes):
    data = {
        "site": equipment.site_id,
        "name": equipment.name,
        "kind": equipment.kind,
        "manufacturer": equipment.manufacturer,
        "model": equipment.model,
        "serial_number": equipment.serial_number,
        "installed_on": "",
        "warranty_until": "",
        "status": equipment.status,
        "contract_id": "",
        "contract_number": "",
        "notes": "",
        **_inline_management("work_orders"),
    }
    data.update(changes)
    return data


def test_admin_equipment_inline_opens_work_orders(admin_client, superuser):
    equipment = EquipmentFactory.create()
    data = _equipment_form(
        equipment,
        **_inline_management("work_orders", total=1),
        **{"work_orders-0-title": "Check", "work_orders-0-kind": "inspection"},
    )
    response = admin_client.post(f"/admin/facility/equipment/{equipment.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    wo = WorkOrder.objects.get(equipment=equipment)
    assert (wo.title, wo.opened_by, wo.status) == ("Check", superuser, WorkOrderStatus.OPEN)
    assert wo.opened_at <= timezone.now()


def test_admin_equipment_inline_refuses_work_orders_on_retired_equipment(admin_client):
    equipment = EquipmentFactory.create(status=EquipmentStatus.RETIRED)
    data = _equipment_form(
        equipment,
        **_inline_management("work_orders", total=1),
        **{"work_orders-0-title": "Check", "work_orders-0-kind": "inspection"},
    )
    response = admin_client.post(f"/admin/facility/equipment/{equipment.pk}/change/", data)
    assert response.status_code == 200
    assert not WorkOrder.objects.exists()


def test_admin_cannot_unretire_equipment(admin_client):
    equipment = EquipmentFactory.create(status=EquipmentStatus.RETIRED)
    response = admin_client.post(
        f"/admin/facility/equipment/{equipment.pk}/change/", _equipment_form(equipment, status="operational")
    )
    assert response.status_code == 200
    equipment.refresh_from_db()
    assert equipment.status == EquipmentStatus.RETIRED


def test_no_delete_for_records_others_depend_on(admin_client):
    wo = WorkOrderFactory.create()
    assert admin_client.get(f"/admin/facility/workorder/{wo.pk}/delete/").status_code == 403
    assert admin_client.get(f"/admin/facility/equipment/{wo.equipment_id}/delete/").status_code == 403


def test_close_offices_action(admin_client):
    free, busy = RegionalOfficeFactory.create(), RegionalOfficeFactory.create()
    WorkOrderFactory.create(office=busy, opened_at=timezone.now() - dt.timedelta(days=1))
    admin_client.post(
        "/admin/facility/regionaloffice/", {"action": "close_selected", "_selected_action": [free.pk, busy.pk]}
    )
    assert RegionalOffice.objects.get(pk=free.pk).status == OfficeStatus.CLOSED
    assert RegionalOffice.objects.get(pk=busy.pk).status == OfficeStatus.OPEN


def test_admin_adds_an_office_through_the_service(admin_client):
    vendor = VendorFactory.create()
    data = {
        "organization": vendor.pk,
        "name": "IQM Seoul office",
        "city": "Seoul",
        "country": "KR",
        "time_zone": "Asia/Seoul",
        "opened_on": "",
        "closed_on": "",
        "status": "open",
        "head": "",
        "notes": "",
        **_inline_management("staff"),
        **_inline_management("activities"),
    }
    response = admin_client.post("/admin/facility/regionaloffice/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    office = RegionalOffice.objects.get(name="IQM Seoul office")
    assert office.opened_on == timezone.localdate()  # the service fills it in for an open office


def test_admin_refuses_an_office_of_a_non_vendor(admin_client):
    university = OrganizationFactory.create()
    data = {
        "organization": university.pk,
        "name": "Wrong",
        "city": "Seoul",
        "country": "KR",
        "time_zone": "Asia/Seoul",
        "status": "planned",
        **_inline_management("staff"),
        **_inline_management("activities"),
    }
    response = admin_client.post("/admin/facility/regionaloffice/add/", data)
    assert response.status_code == 200
    assert "vendor" in response.content.decode()
    assert not RegionalOffice.objects.exists()


def test_office_staff_may_not_add_equipment_in_the_admin(client, office_staff):
    client.force_login(office_staff)
    assert client.get("/admin/facility/equipment/").status_code == 200
    assert client.get("/admin/facility/equipment/add/").status_code == 403
    assert client.get("/admin/facility/officeactivity/add/").status_code == 200
