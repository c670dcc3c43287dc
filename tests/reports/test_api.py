import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.choices import ReportStatus
from reports.models import Report
from tests.factories import MembershipFactory, ProjectFactory, ReportFactory, UserFactory

LIST = "/api/v1/reports/"
PARAMS = {"start": "2026-03-02", "end": "2026-03-09"}


def detail(pk):
    return f"/api/v1/reports/{pk}/"


def download(pk, fmt):
    return f"/api/v1/reports/{pk}/download/?format={fmt}"


@pytest.fixture
def fm_client(make_client, facility_manager):
    return make_client(facility_manager)


def test_post_answers_202_with_the_pending_report(week, fm_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = fm_client.post(LIST, {"kind": "utilization", "params": {"backend": "spark", **PARAMS}})
    assert response.status_code == 202, response.data
    body = response.json()
    assert body["status"] == "pending"
    assert body["kind"] == "utilization"
    assert body["params"] == {"backend": week["backend"].pk, **PARAMS, "time_zone": "Asia/Seoul"}
    assert body["url"] == f"http://testserver{detail(body['id'])}"
    assert len(callbacks) == 1  # the task is queued once the row is committed


def test_a_report_is_polled_then_downloaded(week, fm_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report_id = fm_client.post(LIST, {"kind": "utilization", "params": {"backend": "spark", **PARAMS}}).json()["id"]
    body = fm_client.get(detail(report_id)).json()
    assert body["status"] == "succeeded"
    assert body["progress"] == 100
    assert body["data"]["totals"]["booked_seconds"] == 18 * 3600
    assert body["data"]["by_project"][0]["allocation_hours"] == "0.00"
    assert body["downloads"]["csv"] == f"http://testserver{download(report_id, 'csv')}"
    response = fm_client.get(download(report_id, "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="utilization-spark-2026-03-02-2026-03-09-{report_id}.csv"'
    )
    assert b"".join(response.streaming_content).startswith("\ufeffsection,dimension".encode())
    response = fm_client.get(download(report_id, "json"))
    assert response["Content-Type"] == "application/json"
    assert response.json() == body["data"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "weather", "params": {}}, "kind"),
        ({"kind": "utilization", "params": {"backend": "spark", "start": "2026-03-09", "end": "2026-03-02"}}, "params"),
        ({"kind": "utilization", "params": "not an object"}, "params"),
        ({"params": {}}, "kind"),
    ],
)
def test_post_rejects_unknown_kinds_and_bad_params_with_400(backend, fm_client, payload, field):
    response = fm_client.post(LIST, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Report.objects.exists()


def test_bad_params_name_the_parameter(backend, fm_client):
    response = fm_client.post(LIST, {"kind": "utilization", "params": {"backend": "spark", "start": "x", "end": "y"}})
    assert set(response.json()["params"]) == {"start", "end"}


def test_researchers_get_403_for_staff_kinds(backend, make_client, researcher):
    client = make_client(researcher)
    for kind, params in [("utilization", {"backend": "spark", **PARAMS}), ("procurement_summary", {})]:
        response = client.post(LIST, {"kind": kind, "params": params})
        assert response.status_code == 403, kind
    assert not Report.objects.exists()


def test_project_usage_members_may_request_others_get_not_member(db, make_client, researcher):
    project = ProjectFactory()
    client = make_client(researcher)
    payload = {"kind": "project_usage", "params": {"project": project.code, **PARAMS}}
    response = client.post(LIST, payload)
    assert response.status_code == 403
    assert response.json()["code"] == "not_member"
    MembershipFactory(project=project, user=researcher)
    assert client.post(LIST, payload).status_code == 202


def test_download_before_success_is_409_report_not_ready(db, make_client, facility_manager):
    client = make_client(facility_manager)
    for status in (ReportStatus.PENDING, ReportStatus.RUNNING, ReportStatus.FAILED):
        report = ReportFactory(requester=facility_manager, status=status)
        response = client.get(download(report.pk, "pdf"))
        assert response.status_code == 409
        assert response.json()["code"] == "report_not_ready"
        assert response.json()["status"] == status
    assert client.get(detail(report.pk)).json()["data"] is None


def test_download_rejects_an_unknown_format(db, make_client, facility_manager):
    report = ReportFactory(requester=facility_manager)
    response = make_client(facility_manager).get(download(report.pk, "xlsx"))
    assert response.status_code == 400
    assert "format" in response.json()


def test_researchers_see_only_their_own_reports(db, make_client, researcher, facility_manager):
    mine = ReportFactory(requester=researcher)
    theirs = ReportFactory(requester=UserFactory())
    client = make_client(researcher)
    assert [r["id"] for r in client.get(LIST).json()["results"]] == [mine.pk]
    assert client.get(detail(theirs.pk)).status_code == 404
    assert client.get(download(theirs.pk, "json")).status_code == 404
    staff_ids = {r["id"] for r in make_client(facility_manager).get(LIST).json()["results"]}
    assert staff_ids == {mine.pk, theirs.pk}


def test_list_filters_by_kind_and_status(db, make_client, facility_manager):
    wanted = ReportFactory(kind="project_usage", status=ReportStatus.SUCCEEDED)
    ReportFactory(kind="project_usage", status=ReportStatus.FAILED)
    ReportFactory(kind="utilization", status=ReportStatus.SUCCEEDED)
    client = make_client(facility_manager)
    results = client.get(LIST, {"kind": "project_usage", "status": "succeeded"}).json()["results"]
    assert [r["id"] for r in results] == [wanted.pk]
    assert client.get(LIST, {"status": "done"}).status_code == 400


def test_list_needs_authentication(db, api_client):
    assert api_client.get(LIST).status_code == 401


def test_list_query_count_does_not_grow_with_rows(db, make_client, facility_manager, django_assert_num_queries):
    client = make_client(facility_manager)
    ReportFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    ReportFactory.create_batch(10, requester=UserFactory())
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(LIST).json()["count"] == 12


def test_route_names_resolve():
    assert reverse("reports:report-list") == LIST
