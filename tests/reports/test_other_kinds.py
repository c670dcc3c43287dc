"""procurement_summary, office_activity and project_usage through the same machinery.

The first two read other apps' selectors; these tests stand in for them with a module of the documented shape,
so that the reports side is tested whether or not those selectors exist yet.
"""

import datetime as dt
import sys
import types
from decimal import Decimal

import pytest

from reports import services
from reports.choices import ReportStatus
from tests.factories import (
    AllocationFactory,
    BookingFactory,
    JobFactory,
    MembershipFactory,
    ProjectFactory,
)
from tests.support import seoul


class Money:
    def __init__(self, amount, currency):
        self.amount, self.currency = Decimal(amount), currency


def generate(kind, params, requester):
    report = services.report_request(kind=kind, params=params, requester=requester)
    services.report_generate(report_id=report.pk)
    report.refresh_from_db()
    return report


@pytest.fixture
def fake_procurement(monkeypatch):
    module = types.ModuleType("procurement.selectors")
    module.procurement_summary = lambda: [
        {
            "ocid": "ocds-qfr001-1",
            "title": "IQM Spark 양자컴퓨터",
            "stage": "implementation",
            "contract_value": Money("1200000.00", "EUR"),
            "contract_value_krw": Money("1740000000", "KRW"),
            "paid": Money("600000.00", "EUR"),
            "milestones_late": 1,
            "signed_on": dt.date(2025, 3, 1),
        }
    ]
    monkeypatch.setitem(sys.modules, "procurement.selectors", module)


@pytest.fixture
def fake_facility(monkeypatch):
    calls = []
    module = types.ModuleType("facility.selectors")

    def office_operations_list_by_quarter(*, start, end, office=None):
        calls.append((start, end, office))
        return [
            {
                "office": "Seoul",
                "quarter": "2026Q1",
                "activities": {"training": 2, "support": 5},
                "participants": 41,
                "response_seconds_median": 5400.0,
            },
        ]

    module.office_operations_list_by_quarter = office_operations_list_by_quarter
    monkeypatch.setitem(sys.modules, "facility.selectors", module)
    return calls


def test_procurement_summary_renders_money_in_its_currency(db, procurement_officer, fake_procurement):
    report = generate("procurement_summary", {}, procurement_officer)
    assert report.status == ReportStatus.SUCCEEDED, report.error
    (row,) = report.snapshot["processes"]
    assert row["contract_value"] == {"amount": "1200000.00", "currency": "EUR"}
    assert row["signed_on"] == "2025-03-01"
    csv_text = services.report_file_get(report=report, fmt="csv").read().decode("utf-8-sig")
    assert "processes,process,ocds-qfr001-1,contract_value,1200000.00,EUR" in csv_text
    assert "processes,process,ocds-qfr001-1,milestones_late,1,count" in csv_text
    assert services.report_file_get(report=report, fmt="pdf").read().startswith(b"%PDF")


def test_a_missing_selector_fails_the_report_with_a_sentence(db, procurement_officer, monkeypatch):
    monkeypatch.setitem(sys.modules, "procurement.selectors", None)
    report = generate("procurement_summary", {}, procurement_officer)
    assert report.status == ReportStatus.FAILED
    assert report.error.startswith("This report needs a part of the system that is not installed yet")


def test_office_activity_passes_the_period_and_flattens_rows(db, superuser, fake_facility):
    report = generate("office_activity", {"start": "2026-01-01", "end": "2026-04-01"}, superuser)
    assert report.status == ReportStatus.SUCCEEDED, report.error
    assert fake_facility == [(dt.date(2026, 1, 1), dt.date(2026, 4, 1), None)]
    csv_text = services.report_file_get(report=report, fmt="csv").read().decode("utf-8-sig")
    assert "offices,office_quarter,Seoul 2026Q1,activities.training,2,count" in csv_text
    assert "offices,office_quarter,Seoul 2026Q1,response_hours_median,1.50,h" in csv_text


def test_office_activity_is_staff_only(db, researcher):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.report_request(
            kind="office_activity", params={"start": "2026-01-01", "end": "2026-04-01"}, requester=researcher
        )


def test_project_usage_counts_bookings_jobs_and_burns_down_the_allocation(backend, researcher):
    project = ProjectFactory(code="CBQRC-2026-01")
    MembershipFactory(project=project, user=researcher)
    allocation = AllocationFactory(
        project=project,
        backend=backend,
        hours=Decimal("20"),
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2026, 12, 31),
    )
    done = BookingFactory(
        backend=backend,
        project=project,
        user=researcher,
        allocation=allocation,
        status="completed",
        starts_at=seoul(2026, 3, 3, 9),
        ends_at=seoul(2026, 3, 3, 12),
        charged_hours=Decimal("3"),
    )
    BookingFactory(
        backend=backend,
        project=project,
        user=researcher,
        allocation=allocation,
        status="no_show",
        starts_at=seoul(2026, 3, 5, 9),
        ends_at=seoul(2026, 3, 5, 10),
        charged_hours=Decimal("1"),
    )
    JobFactory(
        booking=done,
        started_at=seoul(2026, 3, 3, 9, 30),
        finished_at=seoul(2026, 3, 3, 10, 30),
        qpu_seconds=60.0,
        shots=2000,
    )
    report = generate("project_usage", {"project": project.pk, "start": "2026-03-02", "end": "2026-03-09"}, researcher)
    assert report.status == ReportStatus.SUCCEEDED, report.error
    t = report.snapshot["totals"]
    assert (t["booked_seconds"], t["used_seconds"], t["no_show_seconds"]) == (4 * 3600, 3600, 3600)
    assert (t["jobs"], t["shots"], t["exec_seconds"]) == (1, 2000, 60)
    assert t["no_show_rate"] == 0.5
    assert (t["allocation_hours"], t["charged_hours"], t["remaining_hours"]) == ("20.00", "4.00", "16.00")
    assert report.snapshot["bookings_by_status"]["completed"] == 1
    burn = {p["date"]: p["remaining_hours"] for p in report.snapshot["allocations"][0]["burn_down"]}
    assert (burn["2026-03-02"], burn["2026-03-03"], burn["2026-03-05"], burn["2026-03-08"]) == (
        "20.00",
        "17.00",
        "16.00",
        "16.00",
    )
    assert services.report_file_get(report=report, fmt="pdf").read().startswith(b"%PDF")
    assert "burn_down" in services.report_file_get(report=report, fmt="csv").read().decode("utf-8-sig")


def test_office_activity_with_the_real_facility_selector(db, superuser):
    from facility.choices import ActivityKind, OfficeStatus, OrganizationKind
    from facility.models import OfficeActivity, RegionalOffice
    from tests.factories import OrganizationFactory

    vendor = OrganizationFactory(name="IQM Quantum Computers", kind=OrganizationKind.VENDOR, country="FI")
    office = RegionalOffice.objects.create(
        organization=vendor,
        name="Seoul office",
        city="Seoul",
        country="KR",
        time_zone="Asia/Seoul",
        opened_on=dt.date(2025, 6, 1),
        status=OfficeStatus.OPEN,
    )
    OfficeActivity.objects.create(
        office=office,
        kind=ActivityKind.TRAINING,
        title="양자 컴퓨팅 교육",
        participants=12,
        start=seoul(2026, 2, 10, 10),
        end=seoul(2026, 2, 10, 17),
    )
    report = generate("office_activity", {"start": "2026-01-01", "end": "2026-04-01", "office": office.pk}, superuser)
    assert report.status == ReportStatus.SUCCEEDED, report.error
    (row,) = report.snapshot["rows"]
    assert (row["office"], row["participants"]) == ("Seoul office", 12)
    assert row["quarter"].startswith("2026")
    assert row["quarter"].endswith("Q1")
    csv_text = services.report_file_get(report=report, fmt="csv").read().decode("utf-8-sig")
    assert f"offices,office_quarter,Seoul office {row['quarter']},participants,12,count" in csv_text
    assert services.report_file_get(report=report, fmt="pdf").read().startswith(b"%PDF")


def test_procurement_summary_with_the_real_selector_and_no_processes(db, procurement_officer):
    report = generate("procurement_summary", {}, procurement_officer)
    assert report.status == ReportStatus.SUCCEEDED, report.error
    assert report.snapshot["processes"] == []
