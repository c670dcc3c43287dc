"""Exports (issue 18, point 6): the jobs list as CSV with the page's filters, a job's counts as JSON and CSV, and a
project usage report requested from the Usage page, followed to its PDF and CSV through permission-checked
downloads."""

import csv
import io
import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from reports.models import Report
from tests.factories import BookingFactory, JobCircuitFactory, JobFactory, MembershipFactory, UserFactory
from tests.support import next_slot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Report files in a folder of this test's own; an empty cache (downloads use it)."""
    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def booking(backend, project, member):
    return BookingFactory(charged=True, backend=backend, project=project, user=member, starts_at=next_slot())


def read_csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_jobs_csv_follows_the_pages_status_filter(portal_client, booking, other_project):
    done = JobFactory(with_result=True, booking=booking, name="=HYPERLINK(1)")
    queued = JobFactory(queued=True, booking=booking)
    JobFactory(with_result=True, booking=BookingFactory(project=other_project, starts_at=next_slot(80)))  # not ours
    rows = read_csv(portal_client.get(reverse("portal:job-export")))
    assert rows[0][:3] == ["id", "name", "project"]
    assert sorted(int(r[0]) for r in rows[1:]) == sorted([done.pk, queued.pk])
    assert {r[1] for r in rows[1:]} >= {"'=HYPERLINK(1)"}  # a formula is kept as text
    response = portal_client.get(reverse("portal:job-export") + "?status=queued")
    assert 'filename="jobs-queued-' in response["Content-Disposition"]
    assert [int(r[0]) for r in read_csv(response)[1:]] == [queued.pk]
    page = portal_client.get(reverse("portal:job-list") + "?status=queued").content.decode()
    assert reverse("portal:job-export") + "?status=queued" in page


def test_jobs_csv_query_count_is_constant(portal_client, booking, django_assert_num_queries):
    JobFactory.create_batch(2, with_result=True, booking=booking)
    with django_assert_num_queries(3):  # session, user, the jobs with their project, backend and user
        read_csv(portal_client.get(reverse("portal:job-export")))
    JobFactory.create_batch(8, with_result=True, booking=booking)
    with django_assert_num_queries(3):
        read_csv(portal_client.get(reverse("portal:job-export")))


def test_a_jobs_counts_as_json_and_csv(portal_client, booking):
    job = JobFactory(with_result=True, booking=booking)
    response = portal_client.get(reverse("portal:job-results", args=[job.pk, "json"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="job-{job.pk}-results.json"'
    body = json.loads(response.content)
    assert body["counts"] == job.counts
    assert body["results"] == [{"index": 0, "name": "", "seed": job.seed, "counts": job.counts}]
    assert (body["job"], body["shots"], body["qpu_seconds"]) == (job.pk, job.shots, job.qpu_seconds)
    rows = read_csv(portal_client.get(reverse("portal:job-results", args=[job.pk, "csv"])))
    assert rows[0] == ["circuit", "name", "outcome", "count", "share"]
    assert {r[2]: int(r[3]) for r in rows[1:]} == job.counts
    assert {r[0] for r in rows[1:]} == {"0"}
    page = portal_client.get(reverse("portal:job-detail", args=[job.pk])).content.decode()
    assert reverse("portal:job-results", args=[job.pk, "csv"]) in page


def test_a_batchs_results_as_one_json(portal_client, booking):
    job = JobFactory(with_result=True, booking=booking, name="sweep")
    JobCircuitFactory(job=job, index=1, name="theta=0.5", counts={"00": 10, "11": 990}, seed=7)
    JobCircuitFactory(job=job, index=2, name="=cmd", counts={"01": 1000}, seed=8)
    body = json.loads(portal_client.get(reverse("portal:job-results", args=[job.pk, "json"])).content)
    assert [(r["index"], r["name"], r["counts"]) for r in body["results"]] == [
        (0, "", job.counts),
        (1, "theta=0.5", {"00": 10, "11": 990}),
        (2, "=cmd", {"01": 1000}),
    ]
    rows = read_csv(portal_client.get(reverse("portal:job-results", args=[job.pk, "csv"])))
    assert [r[:4] for r in rows[1:] if r[0] != "0"] == [
        ["1", "theta=0.5", "00", "10"],
        ["1", "theta=0.5", "11", "990"],
        ["2", "'=cmd", "01", "1000"],
    ]
    page = portal_client.get(reverse("portal:job-detail", args=[job.pk])).content.decode()
    assert "Download the results of every circuit" in page


def test_counts_of_an_unfinished_job_are_409_and_others_jobs_404(portal_client, booking, other_project):
    queued = JobFactory(queued=True, booking=booking)
    response = portal_client.get(reverse("portal:job-results", args=[queued.pk, "json"]))
    assert (response.status_code, response.json()["code"]) == (409, "job_not_finished")
    theirs = JobFactory(with_result=True, booking=BookingFactory(project=other_project, starts_at=next_slot(80)))
    assert portal_client.get(reverse("portal:job-results", args=[theirs.pk, "json"])).status_code == 404
    assert portal_client.get(reverse("portal:job-results", args=[queued.pk, "xml"])).status_code == 404


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_counts_query_count_is_constant(portal_client, booking, fmt, django_assert_num_queries):
    job = JobFactory(with_result=True, booking=booking)
    url = reverse("portal:job-results", args=[job.pk, fmt])
    with django_assert_num_queries(4):  # session, user, the job (with its project and backend), its circuits
        response = portal_client.get(url)
        rows = read_csv(response) if fmt == "csv" else json.loads(response.content)["results"]
    assert len(rows) == (1 + len(job.counts) if fmt == "csv" else 1)
    for index in range(1, 6):
        JobCircuitFactory(job=job, index=index, counts={"00": 10, "11": 90}, seed=index)
    with django_assert_num_queries(4):
        response = portal_client.get(url)
        rows = read_csv(response) if fmt == "csv" else json.loads(response.content)["results"]
    assert len(rows) == (1 + len(job.counts) + 10 if fmt == "csv" else 6)


def test_usage_report_from_the_usage_page_to_its_downloads(
    portal_client, project, member, booking, django_capture_on_commit_callbacks
):
    page = portal_client.get(reverse("portal:usage")).content.decode()
    assert reverse("portal-reports:list") in page
    assert 'type="date" name="start"' in page
    with django_capture_on_commit_callbacks(execute=True):  # the report is generated (eager task)
        response = portal_client.post(
            reverse("portal-reports:list"), {"project": project.pk, "start": "2026-01-01", "until": "2026-01-31"}
        )
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.params == {
        "project": project.pk,
        "start": "2026-01-01",
        "end": "2026-02-01",
        "time_zone": "Asia/Seoul",
    }
    assert report.requester == member
    assert report.status == "succeeded"
    listing = portal_client.get(reverse("portal-reports:list")).content.decode()
    assert project.code in listing
    assert "2026-01-01 \u2013 2026-01-31" in listing
    for fmt, content_type in (("pdf", "application/pdf"), ("csv", "text/csv; charset=utf-8")):
        url = reverse("portal-reports:download", args=[report.pk, fmt])
        assert url in listing
        download = portal_client.get(url)
        assert download.status_code == 200
        assert download["Content-Type"] == content_type
        assert b"".join(download.streaming_content)


def test_report_downloads_are_permission_checked(client, project, member, booking, django_capture_on_commit_callbacks):
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("portal-reports:list"), {"project": project.pk, "start": "2026-01-01", "until": "2026-01-31"}
        )
    report = Report.objects.get()
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.get(reverse("portal-reports:download", args=[report.pk, "pdf"])).status_code == 404


def test_a_report_not_ready_yet_sends_back_to_the_list(portal_client, project):
    portal_client.post(
        reverse("portal-reports:list"), {"project": project.pk, "start": "2026-01-01", "until": "2026-01-31"}
    )
    report = Report.objects.get()
    assert report.status == "pending"  # its task runs after commit, which this test never reaches
    page = portal_client.get(reverse("portal-reports:list")).content.decode()
    assert "data-autorefresh" in page
    response = portal_client.get(reverse("portal-reports:download", args=[report.pk, "pdf"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal-reports:list")


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"start": "2026-02-01", "until": "2026-01-01"}, 400),
        ({"start": "2026-02-01", "until": "yesterday"}, 400),
        ({"start": "2020-01-01", "until": "2026-01-31"}, 400),  # more than three years
    ],
)
def test_bad_periods_are_refused_and_nothing_is_requested(portal_client, project, data, status):
    response = portal_client.post(reverse("portal-reports:list"), {"project": project.pk, **data})
    assert response.status_code == status
    assert "form-errors" in response.content.decode() or "field-error" in response.content.decode()
    assert not Report.objects.exists()


def test_a_project_of_others_is_refused(portal_client, other_project):
    response = portal_client.post(
        reverse("portal-reports:list"), {"project": other_project.pk, "start": "2026-01-01", "until": "2026-01-31"}
    )
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_reports_page_query_count(portal_client, project, member, django_assert_num_queries):
    for _ in range(3):
        Report.objects.create(
            kind="project_usage",
            params={"project": project.pk, "start": "2026-01-01", "end": "2026-02-01"},
            requester=member,
        )
    with django_assert_num_queries(4):  # session, user, the reports, the project codes
        portal_client.get(reverse("portal-reports:list"))
    MembershipFactory(user=member)
    with django_assert_num_queries(4):
        portal_client.get(reverse("portal-reports:list"))
