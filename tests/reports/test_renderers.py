import csv
import io
import shutil
import subprocess

import pytest

from reports import services
from reports.choices import ReportFormat, ReportStatus
from reports.renderers import charts
from tests.factories import CalibrationRecordFactory, ReportFactory
from tests.support import seoul


@pytest.fixture
def done_report(week, facility_manager):
    week["p1"].institution.name = "충북대학교"
    week["p1"].institution.short_name = "충북대"
    week["p1"].institution.save()
    CalibrationRecordFactory(backend=week["backend"], measured_at=seoul(2026, 3, 3, 9))
    CalibrationRecordFactory(backend=week["backend"], measured_at=seoul(2026, 3, 6, 9))
    report = ReportFactory(
        requester=facility_manager,
        params={"backend": week["backend"].pk, "start": "2026-03-02", "end": "2026-03-09", "time_zone": "Asia/Seoul"},
    )
    services.report_generate(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUCCEEDED
    return report


def read_csv(content: bytes):
    assert content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_csv_is_one_tidy_table_in_hours_and_percent(done_report):
    file = services.report_file_get(report=done_report, fmt=ReportFormat.CSV)
    assert file.content_type == "text/csv; charset=utf-8"
    assert file.filename == f"utilization-spark-2026-03-02-2026-03-09-{done_report.pk}.csv"
    rows = read_csv(file.read())
    assert list(rows[0]) == ["section", "dimension", "key", "metric", "value", "unit", "label"]
    totals = {r["metric"]: r for r in rows if r["section"] == "totals"}
    assert (totals["booked_hours"]["value"], totals["booked_hours"]["unit"]) == ("18.00", "h")
    assert (totals["idle_hours"]["value"], totals["period_hours"]["value"]) == ("136.00", "168.00")
    assert (totals["availability"]["value"], totals["availability"]["unit"]) == ("91.67", "%")
    assert (totals["jobs"]["value"], totals["jobs"]["unit"]) == ("2", "count")
    assert totals["no_show_rate"]["value"] == "50.00"
    project_rows = [r for r in rows if r["section"] == "by_project" and r["metric"] == "booked_hours"]
    assert {(r["dimension"], r["key"], r["value"]) for r in project_rows} == {
        ("project", "P-ONE", "14.00"),
        ("project", "P-TWO", "4.00"),
    }
    assert any(r["section"] == "by_institution" and r["key"] == "충북대" for r in rows)
    assert len([r for r in rows if r["section"] == "daily" and r["metric"] == "booked_hours"]) == 7


def test_null_ratios_are_empty_cells_in_csv(backend, facility_manager):
    report = ReportFactory(
        requester=facility_manager,
        params={"backend": backend.pk, "start": "2026-03-02", "end": "2026-03-03", "time_zone": "UTC"},
    )
    services.report_generate(report_id=report.pk)
    report.refresh_from_db()
    rows = read_csv(services.report_file_get(report=report, fmt="csv").read())
    efficiency = next(r for r in rows if r["section"] == "totals" and r["metric"] == "booking_efficiency")
    assert efficiency["value"] == ""


def test_json_download_is_the_snapshot(done_report):
    import json

    file = services.report_file_get(report=done_report, fmt="json")
    assert file.content_type == "application/json"
    assert json.loads(file.read()) == done_report.snapshot


def test_the_task_stores_the_pdf_with_korean_text_and_the_download_reads_it(done_report, tmp_path):
    assert done_report.pdf.name == f"reports/{done_report.created_at:%Y/%m}/{file_name(done_report, 'pdf')}"
    with done_report.pdf.open("rb") as stored:
        stored_bytes = stored.read()
    content = services.report_file_get(report=done_report, fmt="pdf").read()
    assert content == stored_bytes
    assert content.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        path = tmp_path / "report.pdf"
        path.write_bytes(content)
        text = subprocess.run(  # noqa: S603 - a fixed tool on a file this test wrote
            [shutil.which("pdftotext") or "pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "충북대" in text
        assert "period = unplanned down + planned down + booked + idle" in text
        assert "Definitions" in text


def file_name(report, fmt):
    return f"utilization-spark-2026-03-02-2026-03-09-{report.pk}.{fmt}"


def test_charts_are_svg_and_break_lines_on_missing_values():
    svg = charts.lines(["a", "b", "c", "d"], [("x", "#000", [0.1, None, 0.3, 0.4])], y_max=1.0)
    assert svg.startswith("<svg")
    assert svg.count("<polyline") == 1
    assert svg.count("<circle") == 1
    bars = charts.stacked_bars(["d1"], [("한국어", "#f00", [5.0]), ("b", "#0f0", [None])])
    assert "한국어" in bars
    assert charts.data_uri("<svg/>").startswith("data:image/svg+xml;base64,")
