from functools import partial

import pytest
from django.db import transaction

from reports.choices import ReportStatus
from reports.models import Report
from reports.tasks import report_files_render_task, report_generate_task
from tests.factories import ReportFactory
from tests.support import wait_for


@pytest.mark.worker
def test_a_report_is_generated_end_to_end_by_a_real_worker(week, celery_worker, media_root):
    report = ReportFactory(
        params={"backend": week["backend"].pk, "start": "2026-03-02", "end": "2026-03-09", "time_zone": "Asia/Seoul"}
    )
    transaction.on_commit(partial(report_generate_task.delay, report.pk))
    # A re-delivered message (sent twice) must not run it twice.
    report_generate_task.delay(report.pk)
    wait_for(lambda: Report.objects.get(pk=report.pk).status == ReportStatus.SUCCEEDED, timeout=30)
    report.refresh_from_db()
    assert report.attempts == 1
    assert report.snapshot["totals"]["booked_seconds"] == 18 * 3600
    # The worker stored the files in the same run, once each.
    assert sorted(p.name for p in media_root.rglob("*") if p.is_file()) == [
        f"utilization-spark-2026-03-02-2026-03-09-{report.pk}.csv",
        f"utilization-spark-2026-03-02-2026-03-09-{report.pk}.pdf",
    ]
    assert (media_root / report.pdf.name).read_bytes().startswith(b"%PDF")


def test_the_task_runs_eagerly_and_is_a_no_op_the_second_time(backend):
    report = ReportFactory(
        params={"backend": backend.pk, "start": "2026-03-02", "end": "2026-03-03", "time_zone": "UTC"}
    )
    report_generate_task.delay(report.pk)
    report_generate_task.delay(report.pk)
    report.refresh_from_db()
    assert (report.status, report.attempts) == (ReportStatus.SUCCEEDED, 1)
    assert report.pdf.name.endswith(".pdf")
    assert report.csv.name.endswith(".csv")


@pytest.mark.worker
def test_a_real_worker_renders_the_files_of_a_report_that_lacks_them(backend, celery_worker, media_root):
    report = ReportFactory(
        params={"backend": backend.pk, "start": "2026-03-02", "end": "2026-03-03", "time_zone": "UTC"},
        status=ReportStatus.SUCCEEDED,
        snapshot=None,
    )
    report_generate_task.delay(report.pk)  # succeeded already: a no-op
    report_files_render_task.delay(report.pk)  # no snapshot: nothing to render from, nothing stored
    pending = ReportFactory(
        params={"backend": backend.pk, "start": "2026-03-02", "end": "2026-03-03", "time_zone": "UTC"}
    )
    report_generate_task.delay(pending.pk)
    wait_for(lambda: Report.objects.get(pk=pending.pk).status == ReportStatus.SUCCEEDED, timeout=30)
    Report.objects.filter(pk=pending.pk).update(pdf="", csv="")
    for path in media_root.rglob("*.*"):
        path.unlink()
    report_files_render_task.delay(pending.pk)
    wait_for(lambda: Report.objects.get(pk=pending.pk).pdf.name != "", timeout=30)
    pending.refresh_from_db()
    assert (media_root / pending.pdf.name).read_bytes().startswith(b"%PDF")
    assert (media_root / pending.csv.name).exists()
    assert sorted(p.name for p in media_root.rglob("*") if p.is_file()) == sorted(
        [pending.pdf.name.rsplit("/", 1)[1], pending.csv.name.rsplit("/", 1)[1]]
    )
