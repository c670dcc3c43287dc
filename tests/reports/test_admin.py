"""The reports' admin (issue 17 point 3): a request form with real fields, validated as the API validates, through
the report service; list columns; downloads through the permission-checked download; area permissions; pinned
query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.choices import ReportStatus
from reports.models import Report
from tests.factories import ProjectFactory, ReportFactory, StaffFactory, UserFactory

ADD = "/admin/reports/report/add/"
CHANGELIST = "/admin/reports/report/"


@pytest.fixture
def admin_client_fm(client, facility_manager):
    client.force_login(facility_manager)
    return client


def utilization(backend, /, **changes):
    form = {
        "kind": "utilization",
        "backend": backend.pk,
        "start": "2026-03-02",
        "end": "2026-03-09",
        "time_zone": "Asia/Seoul",
        "email_to": "",
    }
    return {**form, **changes}


def test_add_form_has_real_fields_with_date_pickers_and_the_sites_time_zone(admin_client_fm, backend):
    page = admin_client_fm.get(ADD).content.decode()
    assert f'<option value="{backend.pk}">' in page  # the backend is a choice, not an id typed into JSON
    assert 'name="project"' in page
    assert 'class="vDateField"' in page  # the admin's date picker
    assert '<option value="Asia/Seoul" selected>' in page  # the site's time zone by default
    assert 'name="params"' not in page
    assert "data-kind-fields" in page


def test_add_form_offers_only_the_kinds_of_the_users_area(client, office_staff, procurement_officer):
    client.force_login(office_staff)
    page = client.get(ADD).content.decode()
    assert '<option value="office_activity"' in page
    assert '<option value="utilization"' not in page
    client.force_login(procurement_officer)
    page = client.get(ADD).content.decode()
    assert '<option value="procurement_summary"' in page
    assert '<option value="project_usage"' not in page
    # A kind outside the area, posted anyway, is refused and nothing is stored.
    response = client.post(ADD, {"kind": "utilization", "start": "2026-03-02", "end": "2026-03-09"})
    assert response.status_code == 200
    assert not Report.objects.exists()


def test_a_utilization_request_runs_and_its_files_download_through_the_checked_download(
    week, admin_client_fm, facility_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_fm.post(ADD, utilization(week["backend"]))
    assert response.status_code == 302, response.content.decode()[:3000]
    report = Report.objects.get()
    assert report.requester == facility_manager
    assert report.params == {
        "backend": week["backend"].pk,
        "start": "2026-03-02",
        "end": "2026-03-09",
        "time_zone": "Asia/Seoul",
    }
    assert report.status == ReportStatus.SUCCEEDED
    listing = admin_client_fm.get(CHANGELIST).content.decode()
    assert "2026-03-02 \u2013 2026-03-09" in listing  # the period column
    link = f"/api/v1/reports/{report.pk}/download/?format=pdf"
    assert link in listing
    page = admin_client_fm.get(f"{CHANGELIST}{report.pk}/change/").content.decode()
    assert link in page
    assert "/media/" not in page
    download = admin_client_fm.get(link)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    csv = admin_client_fm.get(f"/api/v1/reports/{report.pk}/download/?format=csv")
    assert (csv.status_code, csv["Content-Type"]) == (200, "text/csv; charset=utf-8")
    assert b"".join(csv.streaming_content).startswith("\ufeff".encode())
    # Another area's staff user: the same link answers 404, like the API.
    other = StaffFactory(username="other-area", groups=["Procurement officers"])
    admin_client_fm.force_login(other)
    assert admin_client_fm.get(link).status_code == 404


def test_a_project_usage_request_takes_the_project(db, admin_client_fm, django_capture_on_commit_callbacks):
    project = ProjectFactory(code="P-USAGE")
    form = {"kind": "project_usage", "project": project.pk, "start": "2026-03-01", "end": "2026-04-01"}
    response = admin_client_fm.post(ADD, {**form, "time_zone": "Asia/Seoul", "email_to": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    params = {name: form[name] for name in ("project", "start", "end")}
    assert Report.objects.get().params == {**params, "time_zone": "Asia/Seoul"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"backend": ""}, "backend", "This field is required."),
        ({"end": "2026-03-01"}, "end", "The end date must be after the start date"),
        ({"start": ""}, "start", "This field is required."),
        ({"email_to": "not an address"}, "email_to", "Enter a valid email address."),
    ],
)
def test_bad_parameters_are_field_errors_and_nothing_is_stored(admin_client_fm, backend, changes, field, message):
    response = admin_client_fm.post(ADD, utilization(backend, **changes))
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    assert not Report.objects.exists()


def test_the_admin_refuses_what_the_api_refuses(admin_client_fm, make_client, facility_manager, backend):
    bad = {"backend": backend.pk, "start": "2026-03-09", "end": "2026-03-02"}
    api = make_client(facility_manager).post("/api/v1/reports/", {"kind": "utilization", "params": bad}, format="json")
    assert api.status_code == 400
    [api_message] = api.json()["params"]["end"]
    response = admin_client_fm.post(ADD, utilization(backend, start=bad["start"], end=bad["end"]))
    assert response.context["adminform"].form.errors["end"] == [api_message]


def test_admin_report_is_read_only(db, admin_client_fm):
    report = ReportFactory(status=ReportStatus.FAILED, error="boom")
    response = admin_client_fm.post(f"{CHANGELIST}{report.pk}/change/", {"error": "edited"})
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.error == "boom"


def test_admin_lists_only_the_reports_of_the_users_area(db, client, office_staff, facility_manager):
    own = ReportFactory(kind="office_activity", requester=office_staff)
    ReportFactory(kind="utilization", requester=facility_manager)
    client.force_login(office_staff)
    response = client.get(CHANGELIST)
    assert [r.pk for r in response.context["cl"].result_list] == [own.pk]


def test_admin_changelist_query_count_is_constant(db, admin_client_fm, django_assert_num_queries):
    ReportFactory.create_batch(2)
    ReportFactory(status=ReportStatus.SUCCEEDED, snapshot={"x": 1})
    with CaptureQueriesContext(connection) as few:
        assert admin_client_fm.get(CHANGELIST).status_code == 200
    ReportFactory.create_batch(8, requester=UserFactory())
    ReportFactory.create_batch(3, status=ReportStatus.SUCCEEDED, snapshot={"x": 1})
    with django_assert_num_queries(len(few.captured_queries)):
        admin_client_fm.get(CHANGELIST)


@pytest.mark.parametrize(("what", "queries"), [("add form", 8), ("add", 27), ("change page", 6)])
def test_query_counts_of_the_reports_admin(what, queries, admin_client_fm, backend, django_assert_num_queries):
    report = ReportFactory(status=ReportStatus.SUCCEEDED, snapshot={"x": 1})
    requests = {
        "add form": lambda: admin_client_fm.get(ADD),
        "add": lambda: admin_client_fm.post(ADD, utilization(backend)),
        "change page": lambda: admin_client_fm.get(f"{CHANGELIST}{report.pk}/change/"),
    }
    with django_assert_num_queries(queries):
        response = requests[what]()
    assert response.status_code in (200, 302)
