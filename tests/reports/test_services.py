import datetime as dt
import importlib
from unittest import mock

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.errors import DomainError
from reports import services
from reports.choices import ReportKind, ReportStatus
from reports.models import Report
from tests.factories import MembershipFactory, ProjectFactory, ReportFactory, UserFactory

UTIL = {"start": "2026-03-02", "end": "2026-03-09"}


def request_utilization(backend, user, **extra):
    return services.report_request(
        kind=ReportKind.UTILIZATION, params={"backend": backend.pk, **UTIL}, requester=user, **extra
    )


def test_request_stores_a_pending_row_and_generates_it_on_commit(
    week, facility_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = request_utilization(week["backend"], facility_manager)
        assert Report.objects.get(pk=report.pk).status == ReportStatus.PENDING
    report.refresh_from_db()
    assert report.status == ReportStatus.SUCCEEDED
    assert report.progress == 100
    assert report.params == {"backend": week["backend"].pk, **UTIL, "time_zone": "Asia/Seoul"}
    assert report.snapshot["totals"]["booked_seconds"] == 18 * 3600
    assert report.started_at is not None
    assert report.finished_at >= report.started_at
    assert report.attempts == 1


def test_request_takes_the_backend_by_name_and_an_explicit_time_zone(backend, facility_manager):
    report = services.report_request(
        kind="utilization",
        params={"backend": "spark", **UTIL, "time_zone": "Europe/Helsinki"},
        requester=facility_manager,
    )
    assert report.params["backend"] == backend.pk
    assert report.params["time_zone"] == "Europe/Helsinki"


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("nonsense", {}, "kind"),
        ("utilization", {"start": "2026-03-02", "end": "2026-03-09"}, "backend"),
        ("utilization", {"backend": "nope", **UTIL}, "backend"),
        ("utilization", {"backend": "spark", "start": "2026-03-09", "end": "2026-03-02"}, "end"),
        ("utilization", {"backend": "spark", "start": "03/02/2026", "end": "2026-03-09"}, "start"),
        ("utilization", {"backend": "spark", **UTIL, "time_zone": "Mars/Olympus"}, "time_zone"),
        ("utilization", {"backend": "spark", **UTIL, "colour": "blue"}, "colour"),
        ("utilization", {"backend": "spark", "start": "2020-01-01", "end": "2026-01-01"}, "end"),
    ],
)
def test_request_rejects_bad_kind_or_params_and_stores_nothing(backend, facility_manager, kind, params, field):
    with pytest.raises(ValidationError) as error:
        services.report_request(kind=kind, params=params, requester=facility_manager)
    assert field in error.value.message_dict
    assert not Report.objects.exists()


def test_researchers_may_not_request_utilization(backend, researcher):
    with pytest.raises(PermissionDenied):
        request_utilization(backend, researcher)
    assert not Report.objects.exists()


def test_project_usage_is_open_to_members_and_closed_to_others(db, researcher):
    project = ProjectFactory()
    params = {"project": project.code, **UTIL}
    with pytest.raises(DomainError) as error:
        services.report_request(kind="project_usage", params=params, requester=researcher)
    assert error.value.code == "not_member"
    assert not Report.objects.exists()
    MembershipFactory(project=project, user=researcher)
    report = services.report_request(kind="project_usage", params=params, requester=researcher)
    assert report.params["project"] == project.pk


def test_generate_is_idempotent_a_redelivered_message_does_nothing(week, facility_manager):
    report = ReportFactory(
        requester=facility_manager, params={"backend": week["backend"].pk, **UTIL, "time_zone": "Asia/Seoul"}
    )
    assert services.report_generate(report_id=report.pk) is True
    report.refresh_from_db()
    finished, snapshot = report.finished_at, report.snapshot
    with mock.patch("reports.metrics.utilization.compute") as compute:
        assert services.report_generate(report_id=report.pk) is False
    compute.assert_not_called()
    report.refresh_from_db()
    assert (report.finished_at, report.snapshot, report.attempts) == (finished, snapshot, 1)


def test_generate_leaves_a_running_report_alone(backend, facility_manager):
    report = ReportFactory(requester=facility_manager, status=ReportStatus.RUNNING, started_at=timezone.now())
    assert services.report_generate(report_id=report.pk) is False
    report.refresh_from_db()
    assert report.status == ReportStatus.RUNNING
    assert report.snapshot is None


def test_a_failure_is_stored_with_a_readable_error(backend, facility_manager):
    report = ReportFactory(requester=facility_manager, params={"backend": backend.pk, **UTIL, "time_zone": "UTC"})
    with mock.patch("reports.metrics.utilization.compute", side_effect=RuntimeError("the disk is full")):
        services.report_generate(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error == "RuntimeError: the disk is full"
    assert report.snapshot is None
    assert report.finished_at is not None


def test_a_missing_record_fails_with_a_sentence(db, facility_manager):
    report = ReportFactory(requester=facility_manager, params={"backend": 999999, **UTIL, "time_zone": "UTC"})
    services.report_generate(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error.startswith("A record the report needs no longer exists")


def test_progress_is_reported_while_running(week, facility_manager):
    report = ReportFactory(
        requester=facility_manager, params={"backend": week["backend"].pk, **UTIL, "time_zone": "Asia/Seoul"}
    )
    seen = []
    original = services.get_kind("utilization").compute

    def spy(params, progress):
        def recording(percent):
            progress(percent)
            seen.append(Report.objects.get(pk=report.pk).progress)

        return original(params, recording)

    with mock.patch.object(services.get_kind("utilization"), "compute", spy):
        services.report_generate(report_id=report.pk)
    assert seen == sorted(seen)
    assert seen[0] > 0
    assert seen[-1] < 100
    report.refresh_from_db()
    assert report.progress == 100


def test_the_sweeper_requeues_stuck_reports_and_leaves_fresh_ones(
    backend, facility_manager, django_capture_on_commit_callbacks
):
    params = {"backend": backend.pk, **UTIL, "time_zone": "UTC"}
    long_ago = timezone.now() - dt.timedelta(hours=2)
    stuck = ReportFactory(
        requester=facility_manager, params=params, status=ReportStatus.RUNNING, started_at=long_ago, attempts=1
    )
    fresh = ReportFactory(
        requester=facility_manager, params=params, status=ReportStatus.RUNNING, started_at=timezone.now(), attempts=1
    )
    hopeless = ReportFactory(
        requester=facility_manager, params=params, status=ReportStatus.RUNNING, started_at=long_ago, attempts=3
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_requeue_stale() == [stuck.pk]
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    hopeless.refresh_from_db()
    assert stuck.status == ReportStatus.SUCCEEDED
    assert stuck.attempts == 2
    assert fresh.status == ReportStatus.RUNNING
    assert hopeless.status == ReportStatus.FAILED
    assert "3 attempts" in hopeless.error


def test_beat_schedules_exist_for_the_monthly_reports_and_the_sweeper(db):
    # Run the data migration's function again (transactional tests elsewhere flush migration data); it is idempotent.
    migration = importlib.import_module("reports.migrations.0002_beat_schedules")
    migration.create_schedules(django_apps, None)
    migration.create_schedules(django_apps, None)
    sealing = importlib.import_module("reports.migrations.0004_seal_schedule")
    sealing.create_schedule(django_apps, None)
    sealing.create_schedule(django_apps, None)
    assert PeriodicTask.objects.filter(name__startswith="reports:").count() == 4
    tasks = {t.name: t for t in PeriodicTask.objects.filter(name__startswith="reports:").select_related("crontab")}
    monthly = tasks["reports: monthly utilization"]
    assert monthly.task == "reports.tasks.report_monthly_task"
    assert (monthly.crontab.minute, monthly.crontab.hour, monthly.crontab.day_of_month) == ("0", "2", "1")
    assert str(monthly.crontab.timezone) == "Asia/Seoul"
    assert "office_activity" in tasks["reports: monthly office activity"].kwargs
    assert tasks["reports: requeue stale reports"].task == "reports.tasks.report_requeue_stale_task"
    nightly = tasks["reports: seal job days"]
    assert (nightly.task, nightly.queue) == ("reports.tasks.job_days_seal_task", "reports")
    assert (nightly.crontab.minute, nightly.crontab.hour, str(nightly.crontab.timezone)) == ("30", "1", "UTC")


@time_machine.travel(dt.datetime(2026, 3, 31, 17, tzinfo=dt.UTC), tick=False)  # 1 April 02:00 in Seoul
def test_monthly_utilization_covers_last_month_and_is_emailed_as_pdf(
    week, settings, django_capture_on_commit_callbacks
):
    settings.REPORTS_EMAIL_TO = ["director@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        (report,) = services.report_request_monthly(kind="utilization", time_zone="Asia/Seoul")
    report.refresh_from_db()
    assert report.params["start"] == "2026-03-01"
    assert report.params["end"] == "2026-04-01"
    assert report.requester is None
    assert report.status == ReportStatus.SUCCEEDED
    assert report.delivered_at is not None
    (message,) = mail.outbox
    assert message.to == ["director@example.org"]
    (name, content, mimetype) = message.attachments[0]
    assert name.endswith(".pdf")
    assert content.startswith(b"%PDF")
    assert mimetype == "application/pdf"
    assert report.pdf  # rendered once, stored


def test_monthly_reports_without_recipients_send_nothing(backend, settings, django_capture_on_commit_callbacks):
    settings.REPORTS_EMAIL_TO = []
    with django_capture_on_commit_callbacks(execute=True):
        services.report_request_monthly(kind="utilization")
    assert Report.objects.get().status == ReportStatus.SUCCEEDED
    assert mail.outbox == []


def test_report_period_previous_month_wraps_the_year():
    assert services.report_period_previous_month(dt.date(2026, 1, 1)) == (dt.date(2025, 12, 1), dt.date(2026, 1, 1))


def test_researcher_requester_for_project_usage_needs_membership_not_staff(db):
    user = UserFactory()
    project = ProjectFactory(pi=user)
    report = services.report_request(kind="project_usage", params={"project": project.pk, **UTIL}, requester=user)
    assert report.params["time_zone"] == "Asia/Seoul"


def test_demo_seed_is_idempotent(week):
    from reports import demo

    lines: list[str] = []
    demo.seed(lines.append)
    demo.seed(lines.append)
    assert Report.objects.filter(kind="utilization").count() == 1
    assert Report.objects.filter(kind="project_usage").count() == 2
    assert all(r.status == ReportStatus.SUCCEEDED for r in Report.objects.all())
