"""Human labels in the CSV and the PDF, in the requester's language, and the right units (issue 17 point 6): no raw
codes like `no_show` as headings; the wait statistics in seconds, not counts."""

import csv
import io

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from reports import services
from reports.choices import ReportFormat, ReportStatus
from reports.kinds import get_kind
from reports.services.files import _pdf_context
from scheduling.choices import BookingStatus
from tests.factories import ReportFactory


def generated(kind, params, requester, language="en"):
    requester.language = language
    requester.save()
    report = ReportFactory(kind=kind, requester=requester, params=params)
    services.report_generate(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUCCEEDED, report.error
    return report


def csv_rows(report):
    content = services.report_file_get(report=report, fmt=ReportFormat.CSV).read()
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def utilization_params(week):
    return {"backend": week["backend"].pk, "start": "2026-03-02", "end": "2026-03-09", "time_zone": "Asia/Seoul"}


def usage_params(week):
    return {"project": week["p2"].pk, "start": "2026-03-02", "end": "2026-03-09", "time_zone": "Asia/Seoul"}


def test_csv_labels_every_metric_and_gives_waits_in_seconds(week, facility_manager):
    report = generated("utilization", utilization_params(week), facility_manager)
    rows = csv_rows(report)
    totals = {r["metric"]: r for r in rows if r["section"] == "totals"}
    assert totals["booked_hours"]["label"] == "Booked"
    assert totals["no_show_rate"]["label"] == "No-show rate"
    for name in ("wait_seconds_p50", "wait_seconds_p95"):
        assert totals[name]["unit"] == "s"
        assert float(totals[name]["value"]) == report.snapshot["totals"][name]
    assert totals["wait_seconds_p50"]["label"] == "Job wait, median"
    assert all(r["label"] and "_" not in r["label"] for r in rows if r["section"] != "daily")


def test_csv_labels_are_in_the_requesters_language(week, facility_manager):
    rows = csv_rows(generated("utilization", utilization_params(week), facility_manager, language="ko"))
    totals = {r["metric"]: r for r in rows if r["section"] == "totals"}
    with translation.override("ko"):
        assert totals["booked_hours"]["label"] == str(translation.gettext("Booked"))
    assert totals["booked_hours"]["label"] != "Booked"
    assert totals["booked_hours"]["metric"] == "booked_hours"  # the machine name stays, to compute on


@pytest.mark.parametrize("language", ["en", "ko"])
def test_project_usage_shows_booking_statuses_by_name(week, facility_manager, language):
    report = generated("project_usage", usage_params(week), facility_manager, language=language)
    with translation.override(language):
        no_show = str(BookingStatus.NO_SHOW.label)
        pending = str(BookingStatus.PENDING.label)
        html = render_to_string(get_kind("project_usage").template, _pdf_context(report))
    assert f'<th class="n">{no_show}</th>' in html
    assert f'<th class="n">{pending}</th>' in html
    for code in ("no_show", "pending", "confirmed"):
        assert f">{code}<" not in html
    status_rows = {r["key"]: r for r in csv_rows(report) if r["section"] == "bookings_by_status"}
    assert status_rows["no_show"]["label"] == no_show
    assert status_rows["no_show"]["value"] == "1"


def test_generic_pdf_records_name_their_fields_in_words():
    snapshot = {
        "rows": [{"office": "Seoul", "quarter": "2026Q1", "participants": 3, "activities_by_kind": {"training": 2}}]
    }
    with translation.override("en"):
        fields = dict(get_kind("office_activity").pdf_context(snapshot)["sections"][0]["records"][0]["fields"])
    assert fields["Participants"] == "3"
    assert fields["Activities: Training"] == "2"
    assert not any("_" in name for name in fields)
