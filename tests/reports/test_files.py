"""Report files are made by the task, not by the download: stored once, served as stored, never rendered on request."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from reports import services
from reports.choices import ReportStatus
from reports.models import Report
from tests.factories import ReportFactory

PARAMS = {"start": "2026-03-02", "end": "2026-03-09", "time_zone": "Asia/Seoul"}


def download(pk, fmt):
    return f"/api/v1/reports/{pk}/download/?format={fmt}"


def stored_files(media_root):
    return sorted(p.relative_to(media_root).as_posix() for p in media_root.rglob("*") if p.is_file())


@pytest.fixture
def report(week, facility_manager):
    return ReportFactory(requester=facility_manager, params={"backend": week["backend"].pk, **PARAMS})


@pytest.fixture
def done(report):
    assert services.report_generate(report_id=report.pk)
    report.refresh_from_db()
    return report


def test_the_task_stores_the_pdf_and_csv_before_the_report_succeeds(done, media_root):
    assert done.status == ReportStatus.SUCCEEDED
    folder = f"reports/{done.created_at:%Y/%m}"
    stem = f"utilization-spark-2026-03-02-2026-03-09-{done.pk}"
    assert (done.pdf.name, done.csv.name) == (f"{folder}/{stem}.pdf", f"{folder}/{stem}.csv")
    assert stored_files(media_root) == [done.csv.name, done.pdf.name]
    assert (media_root / done.pdf.name).read_bytes().startswith(b"%PDF")
    assert (media_root / done.csv.name).read_bytes().startswith("\ufeffsection,dimension,key".encode())


def test_the_download_streams_the_stored_file_byte_for_byte(done, media_root, make_client, facility_manager):
    """Altered on disk, the file is served altered: the download reads storage, it does not render."""
    client = make_client(facility_manager)
    (media_root / done.pdf.name).write_bytes(b"%PDF-1.7 the stored file, not a rendering")
    (media_root / done.csv.name).write_bytes(b"the stored csv")
    before = Report.objects.filter(pk=done.pk).values().get()
    pdf = client.get(download(done.pk, "pdf"))
    assert pdf.status_code == 200
    assert pdf.streaming
    assert b"".join(pdf.streaming_content) == b"%PDF-1.7 the stored file, not a rendering"
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'attachment; filename="utilization-spark-2026-03-02-2026-03-09-{done.pk}.pdf"'
    csv = client.get(download(done.pk, "csv"))
    assert b"".join(csv.streaming_content) == b"the stored csv"
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert Report.objects.filter(pk=done.pk).values().get() == before  # nothing written
    assert stored_files(media_root) == [done.csv.name, done.pdf.name]  # nothing added


def test_the_download_computes_nothing(done, make_client, facility_manager, django_assert_max_num_queries):
    """Auth, permissions and the report row: no snapshot computation (it reads bookings, jobs, rollups)."""
    client = make_client(facility_manager)
    client.get("/api/v1/users/me/")  # the token row exists; warm-up
    with django_assert_max_num_queries(4) as queries:
        response = client.get(download(done.pk, "pdf"))
        b"".join(response.streaming_content)
    tables = " ".join(q["sql"] for q in queries.captured_queries)
    assert "scheduling_" not in tables
    assert "reports_jobrollup" not in tables


def test_running_again_after_a_lost_run_replaces_its_files_and_adds_none(report, media_root):
    """A worker lost after storing the files: the redelivered run writes the same names over them."""
    assert services.report_generate(report_id=report.pk)
    report.refresh_from_db()
    names = (report.pdf.name, report.csv.name)
    (media_root / report.pdf.name).write_bytes(b"truncated by the lost worker")
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, pdf="", csv="")
    assert services.report_generate(report_id=report.pk, redelivered=True)
    report.refresh_from_db()
    assert (report.status, report.attempts) == (ReportStatus.SUCCEEDED, 2)
    assert (report.pdf.name, report.csv.name) == names
    assert stored_files(media_root) == sorted(names)
    assert (media_root / report.pdf.name).read_bytes().startswith(b"%PDF")
    assert not services.report_generate(report_id=report.pk, redelivered=True)  # succeeded: left alone
    assert stored_files(media_root) == sorted(names)


def test_a_rendering_that_fails_fails_the_report_with_a_clear_error(report, media_root, settings, tmp_path):
    broken = tmp_path / "templates" / "reports"
    broken.mkdir(parents=True)
    (broken / "utilization.html").write_text("{% if %}")  # a template that cannot compile
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates", *settings.TEMPLATES[0]["DIRS"]]}]
    assert services.report_generate(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error.startswith("The report's files could not be rendered: TemplateSyntaxError")
    assert (report.pdf.name, report.csv.name) == ("", "")
    assert report.snapshot is None
    assert stored_files(media_root) == []


def test_a_storage_that_fails_fails_the_report_and_keeps_no_half(report, settings, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocked
    assert services.report_generate(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error.startswith("The report's files could not be stored: ")
    assert report.pdf.name == ""


def test_a_report_without_stored_files_gets_them_from_a_task_not_the_request(
    report, media_root, make_client, facility_manager, django_capture_on_commit_callbacks
):
    """Reports made before the task stored files: the download queues their rendering and answers 409 meanwhile."""
    assert services.report_generate(report_id=report.pk)
    for path in media_root.rglob("*.*"):
        path.unlink()
    Report.objects.filter(pk=report.pk).update(pdf="", csv="")  # as a report of the old code left it
    client = make_client(facility_manager)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        waiting = client.get(download(report.pk, "pdf"))
    assert waiting.status_code == 409
    assert (waiting.json()["code"], waiting.json()["status"]) == ("report_not_ready", "succeeded")
    assert stored_files(media_root) == []  # the request rendered nothing
    assert client.get(download(report.pk, "json")).status_code == 200  # the snapshot is there all along
    with django_capture_on_commit_callbacks(execute=False) as queued_again:
        assert client.get(download(report.pk, "csv")).status_code == 409
    assert len(queued) == 1
    assert queued_again == []  # one rendering queued, however often the client asks
    queued[0]()  # the task runs (eagerly here)
    report.refresh_from_db()
    assert stored_files(media_root) == sorted([report.pdf.name, report.csv.name])
    response = client.get(download(report.pk, "pdf"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == (media_root / report.pdf.name).read_bytes()


def test_a_stored_file_gone_missing_is_rendered_again_from_the_snapshot(done, media_root):
    (media_root / done.csv.name).unlink()
    snapshot = done.snapshot
    assert services.report_files_render(report_id=done.pk)
    done.refresh_from_db()
    assert (media_root / done.csv.name).exists()
    assert done.snapshot == snapshot  # rendered from the stored snapshot, not computed again
    assert not services.report_files_render(report_id=done.pk)  # all there: nothing to do


def test_rendering_files_of_a_report_that_has_not_succeeded_does_nothing(report, media_root):
    assert not services.report_files_render(report_id=report.pk)
    assert stored_files(media_root) == []


def test_media_root_is_the_tests_own(media_root):
    assert str(settings.MEDIA_ROOT) == str(media_root)


def test_the_command_gives_every_succeeded_report_its_missing_files(done, media_root, week, facility_manager):
    older = ReportFactory(requester=facility_manager, params={"backend": week["backend"].pk, **PARAMS})
    services.report_generate(report_id=older.pk)
    Report.objects.filter(pk=older.pk).update(pdf="", csv="")  # as the old code left it
    (media_root / done.pdf.name).unlink()  # lost
    pending = ReportFactory(requester=facility_manager)
    out = io.StringIO()
    call_command("render_report_files", stdout=out)
    assert "2 reports given their files." in out.getvalue()
    older.refresh_from_db()
    done.refresh_from_db()
    assert (media_root / done.pdf.name).exists()
    assert (media_root / older.pdf.name).exists()
    assert (media_root / older.csv.name).exists()
    assert Report.objects.get(pk=pending.pk).pdf.name == ""
    out = io.StringIO()
    call_command("render_report_files", stdout=out)
    assert "0 reports given their files." in out.getvalue()
