import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.choices import ReportStatus
from reports.models import Report
from tests.factories import ReportFactory, UserFactory

ADD = "/admin/reports/report/add/"
CHANGELIST = "/admin/reports/report/"


@pytest.fixture
def admin_client_fm(client, facility_manager):
    client.force_login(facility_manager)
    return client


def test_admin_add_form_validates_and_enqueues(
    week, admin_client_fm, facility_manager, django_capture_on_commit_callbacks
):
    params = {"backend": week["backend"].pk, "start": "2026-03-02", "end": "2026-03-09"}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_fm.post(ADD, {"kind": "utilization", "params": json.dumps(params), "email_to": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    report = Report.objects.get()
    assert report.requester == facility_manager
    assert report.status == ReportStatus.SUCCEEDED
    page = admin_client_fm.get(f"{CHANGELIST}{report.pk}/change/").content.decode()
    assert f"/api/v1/reports/{report.pk}/download/?format=pdf" in page


def test_admin_add_form_shows_param_errors_and_stores_nothing(backend, admin_client_fm):
    response = admin_client_fm.post(
        ADD,
        {
            "kind": "utilization",
            "params": json.dumps({"backend": backend.pk, "start": "2026-03-09", "end": "2026-03-02"}),
            "email_to": "",
        },
    )
    assert response.status_code == 200
    assert "end: The end date must be after the start date" in response.content.decode()
    assert not Report.objects.exists()


def test_admin_report_is_read_only(db, admin_client_fm):
    report = ReportFactory(status=ReportStatus.FAILED, error="boom")
    response = admin_client_fm.post(f"{CHANGELIST}{report.pk}/change/", {"error": "edited"})
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.error == "boom"


def test_admin_changelist_query_count_is_constant(db, admin_client_fm, django_assert_num_queries):
    ReportFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        assert admin_client_fm.get(CHANGELIST).status_code == 200
    ReportFactory.create_batch(8, requester=UserFactory())
    with django_assert_num_queries(len(few.captured_queries)):
        admin_client_fm.get(CHANGELIST)
