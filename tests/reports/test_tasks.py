from functools import partial

import pytest
from django.db import transaction

from reports.choices import ReportStatus
from reports.models import Report
from reports.tasks import report_generate_task
from tests.conftest import wait_for
from tests.reports.factories import ReportFactory


@pytest.mark.worker
def test_a_report_is_generated_end_to_end_by_a_real_worker(week, celery_worker):
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


def test_the_task_runs_eagerly_and_is_a_no_op_the_second_time(backend):
    report = ReportFactory(
        params={"backend": backend.pk, "start": "2026-03-02", "end": "2026-03-03", "time_zone": "UTC"}
    )
    report_generate_task.delay(report.pk)
    report_generate_task.delay(report.pk)
    report.refresh_from_db()
    assert (report.status, report.attempts) == (ReportStatus.SUCCEEDED, 1)
