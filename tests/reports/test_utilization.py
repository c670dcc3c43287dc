"""The utilization engine against hand-computed values (DESIGN.md section 4)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.metrics.utilization import compute
from scheduling.choices import BookingStatus, JobStatus
from tests.factories import (
    AllocationFactory,
    BackendFactory,
    BookingFactory,
    CalibrationRecordFactory,
    JobFactory,
    MaintenanceWindowFactory,
    OutageFactory,
    ProjectFactory,
    UserFactory,
)
from tests.support import seoul

H = 3600
MON, NEXT_MON = dt.date(2026, 3, 2), dt.date(2026, 3, 9)


def run(backend, start=MON, end=NEXT_MON, tz="Asia/Seoul"):
    return compute(backend=backend, start=start, end=end, time_zone=tz)


def test_worked_week_matches_the_hand_computed_states(week):
    totals = run(week["backend"])["totals"]
    assert totals["period_seconds"] == 168 * H
    assert totals["planned_down_seconds"] == 8 * H
    assert totals["unplanned_down_seconds"] == 6 * H
    assert totals["booked_seconds"] == 18 * H
    assert totals["booked_lost_seconds"] == 2 * H
    assert totals["idle_seconds"] == 136 * H
    assert totals["available_seconds"] == 154 * H
    assert totals["availability"] == pytest.approx(154 / 168, abs=1e-6)
    assert totals["utilization"] == pytest.approx(18 / 154, abs=1e-6)
    assert totals["utilization_offered"] == pytest.approx(18 / 168, abs=1e-6)


def test_worked_week_invariant_holds(week):
    snapshot = run(week["backend"])
    t = snapshot["totals"]
    assert (
        t["unplanned_down_seconds"] + t["planned_down_seconds"] + t["booked_seconds"] + t["idle_seconds"]
        == (t["period_seconds"])
    )
    assert snapshot["invariant"] == {"period_seconds": 168 * H, "sum_seconds": 168 * H, "holds": True}


def test_worked_week_usage_jobs_waits_and_outages(week):
    t = run(week["backend"])["totals"]
    assert t["used_seconds"] == 2 * H  # first job start 10:00 to last job end 12:00
    assert t["booking_efficiency"] == pytest.approx(2 / 18, abs=1e-6)
    assert t["exec_seconds"] == 300
    assert (t["jobs"], t["jobs_failed"], t["shots"]) == (2, 1, 1500)
    assert t["no_show_seconds"] == 4 * H
    assert t["late_cancelled_seconds"] == 0
    assert t["no_show_rate"] == 0.5  # one no-show, one completed; the confirmed booking does not count
    # Waits 600 s and 1800 s: p50 interpolates to 1200, p95 to 600 + 0.95 * 1200.
    assert t["wait_seconds_p50"] == 1200
    assert t["wait_seconds_p95"] == 1740
    assert t["outages"] == 1
    assert t["mtbf_seconds"] == 154 * H
    assert t["mttr_seconds"] == 6 * H


def test_worked_week_breakdowns_add_up_to_the_totals(week):
    snapshot = run(week["backend"])
    totals = snapshot["totals"]
    for section in ("by_project", "by_institution", "by_user"):
        for name in ("booked_seconds", "used_seconds", "exec_seconds", "no_show_seconds", "booked_lost_seconds"):
            assert sum(row[name] for row in snapshot[section]) == totals[name], (section, name)
        assert sum(row["jobs"] for row in snapshot[section]) == totals["jobs"]
    for name in ("booked_seconds", "used_seconds", "exec_seconds", "available_seconds"):
        assert sum(day[name] for day in snapshot["daily"]) == totals[name], name
    by_project = {row["project"]: row for row in snapshot["by_project"]}
    assert by_project["P-ONE"]["booked_seconds"] == 14 * H
    assert by_project["P-ONE"]["booked_lost_seconds"] == 2 * H
    assert by_project["P-TWO"]["no_show_seconds"] == 4 * H


def test_worked_week_daily_series_follows_local_days(week):
    daily = {day["date"]: day for day in run(week["backend"])["daily"]}
    assert len(daily) == 7
    wednesday = daily["2026-03-04"]
    assert wednesday["unplanned_down_seconds"] == 6 * H
    assert wednesday["booked_seconds"] == 8 * H
    assert wednesday["idle_seconds"] == 10 * H
    assert daily["2026-03-03"]["planned_down_seconds"] == 8 * H
    assert daily["2026-03-06"]["exec_seconds"] == 300


def test_bookings_straddling_the_period_ends_are_clipped(backend):
    BookingFactory(backend=backend, starts_at=seoul(2026, 3, 1, 22), ends_at=seoul(2026, 3, 2, 2))
    late = BookingFactory(backend=backend, starts_at=seoul(2026, 3, 8, 22), ends_at=seoul(2026, 3, 9, 3))
    # A job that starts after the period ends is not counted; its use is clipped at the period's end.
    JobFactory(booking=late, started_at=seoul(2026, 3, 8, 23), finished_at=seoul(2026, 3, 9, 1), qpu_seconds=5.0)
    JobFactory(booking=late, started_at=seoul(2026, 3, 9, 1), finished_at=seoul(2026, 3, 9, 2), qpu_seconds=7.0)
    t = run(backend)["totals"]
    assert t["booked_seconds"] == 4 * H
    assert t["idle_seconds"] == 164 * H
    assert t["used_seconds"] == 1 * H
    assert (t["jobs"], t["exec_seconds"]) == (1, 5)


def test_overlapping_maintenance_and_outage_count_once_with_outage_first(backend):
    MaintenanceWindowFactory(backend=backend, starts_at=seoul(2026, 3, 3, 8), ends_at=seoul(2026, 3, 3, 11))
    MaintenanceWindowFactory(backend=backend, starts_at=seoul(2026, 3, 3, 10), ends_at=seoul(2026, 3, 3, 14))
    OutageFactory(backend=backend, starts_at=seoul(2026, 3, 3, 12), ends_at=seoul(2026, 3, 3, 16))
    BookingFactory(backend=backend, starts_at=seoul(2026, 3, 3, 13), ends_at=seoul(2026, 3, 3, 17))
    t = run(backend)["totals"]
    assert t["unplanned_down_seconds"] == 4 * H  # 12-16
    assert t["planned_down_seconds"] == 4 * H  # 08-12 (12-14 is outage)
    assert t["booked_seconds"] == 1 * H  # 16-17
    assert t["booked_lost_seconds"] == 3 * H
    assert t["idle_seconds"] == 159 * H


def test_a_month_with_a_dst_change_in_helsinki_has_743_hours(db):
    backend = BackendFactory(site__time_zone="Europe/Helsinki")
    snapshot = compute(backend=backend, start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 1), time_zone="Europe/Helsinki")
    assert snapshot["totals"]["period_seconds"] == 743 * H
    assert snapshot["totals"]["idle_seconds"] == 743 * H
    daily = {day["date"]: day for day in snapshot["daily"]}
    assert daily["2026-03-29"]["period_seconds"] == 23 * H
    assert sum(day["period_seconds"] for day in snapshot["daily"]) == 743 * H


def test_an_empty_period_gives_null_ratios_not_zero(backend):
    t = run(backend)["totals"]
    assert t["availability"] == 1.0
    assert t["utilization"] == 0.0
    for name in (
        "booking_efficiency",
        "no_show_rate",
        "wait_seconds_p50",
        "wait_seconds_p95",
        "mtbf_seconds",
        "mttr_seconds",
    ):
        assert t[name] is None, name
    assert (t["jobs"], t["outages"]) == (0, 0)


def test_a_period_entirely_down_has_null_utilization(backend):
    MaintenanceWindowFactory(backend=backend, starts_at=seoul(2026, 3, 1), ends_at=seoul(2026, 3, 10))
    t = run(backend)["totals"]
    assert t["available_seconds"] == 0
    assert t["utilization"] is None
    assert t["availability"] == 0.0


@time_machine.travel(dt.datetime(2026, 3, 5, 3, tzinfo=dt.UTC), tick=False)  # 12:00 Seoul, Thursday
def test_an_ongoing_outage_counts_until_now(backend):
    OutageFactory(backend=backend, starts_at=seoul(2026, 3, 5, 10), ends_at=None)
    t = run(backend)["totals"]
    assert t["unplanned_down_seconds"] == 2 * H
    assert t["mttr_seconds"] == 2 * H


def test_cancelled_bookings_are_not_booked_but_late_cancellations_are_reported(backend):
    BookingFactory(
        backend=backend,
        starts_at=seoul(2026, 3, 3, 9),
        ends_at=seoul(2026, 3, 3, 12),
        status=BookingStatus.CANCELLED,
        late_cancellation=True,
    )
    BookingFactory(
        backend=backend, starts_at=seoul(2026, 3, 3, 12), ends_at=seoul(2026, 3, 3, 13), status=BookingStatus.CANCELLED
    )
    BookingFactory(
        backend=backend, starts_at=seoul(2026, 3, 3, 14), ends_at=seoul(2026, 3, 3, 15), status=BookingStatus.PENDING
    )
    t = run(backend)["totals"]
    assert t["booked_seconds"] == 0
    assert t["late_cancelled_seconds"] == 3 * H
    assert t["no_show_rate"] == 0.0  # one late cancellation, no no-show


def test_by_user_lists_the_top_ten_and_the_rest_in_one_row(backend):
    for n in range(12):
        booking = BookingFactory(
            backend=backend,
            user=UserFactory(username=f"u{n:02d}"),
            starts_at=seoul(2026, 3, 3, n),
            ends_at=seoul(2026, 3, 3, n + 1),
        )
        JobFactory(booking=booking, started_at=booking.starts_at, finished_at=booking.ends_at, qpu_seconds=float(n))
    snapshot = run(backend)
    rows = snapshot["by_user"]
    assert [r["user"] for r in rows[:10]] == [f"u{n:02d}" for n in range(11, 1, -1)]
    assert rows[10]["user"] is None
    assert rows[10]["exec_seconds"] == 0 + 1
    assert sum(r["exec_seconds"] for r in rows) == snapshot["totals"]["exec_seconds"] == sum(range(12))


def test_by_project_reports_allocation_granted_charged_and_remaining(backend):
    project = ProjectFactory(code="ALLOC")
    allocation = AllocationFactory(
        project=project,
        backend=backend,
        hours=Decimal("50"),
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2026, 12, 31),
    )
    BookingFactory(
        backend=backend,
        project=project,
        allocation=allocation,
        starts_at=seoul(2026, 3, 3, 9),
        ends_at=seoul(2026, 3, 3, 12),
        charged_hours=Decimal("3"),
    )
    AllocationFactory(
        project=project,
        backend=backend,
        hours=Decimal("10"),
        valid_from=dt.date(2027, 1, 1),
        valid_until=dt.date(2027, 6, 30),
    )
    (row,) = run(backend)["by_project"]
    assert (row["allocation_hours"], row["charged_hours"], row["remaining_hours"]) == ("50.00", "3.00", "47.00")


def test_jobs_of_other_backends_and_jobs_not_started_are_ignored(week):
    other = BackendFactory()
    JobFactory(
        booking=BookingFactory(backend=other, starts_at=seoul(2026, 3, 3), ends_at=seoul(2026, 3, 3, 1)),
        started_at=seoul(2026, 3, 3),
        finished_at=seoul(2026, 3, 3, 0, 10),
        qpu_seconds=99.0,
    )
    JobFactory(booking=week["done"], started_at=None, status=JobStatus.QUEUED, submitted_at=seoul(2026, 3, 6, 9))
    t = run(week["backend"])["totals"]
    assert (t["jobs"], t["exec_seconds"]) == (2, 300)


def test_calibrations_feed_the_fidelity_series(backend):
    CalibrationRecordFactory(backend=backend, measured_at=seoul(2026, 3, 4, 6))
    (point,) = run(backend)["calibrations"]
    assert point["prx_fidelity"] == pytest.approx(0.997)
    assert point["cz_fidelity"] == pytest.approx(0.962)


def test_the_number_of_queries_does_not_grow_with_the_data(db, django_assert_num_queries):
    """One booking with jobs on one backend, five on another: the same number of queries, both when the
    report seals the days (the first report) and when it reads their rollups (later reports)."""

    def backend_with_bookings(days: list[int]):
        backend = BackendFactory()
        for day in days:
            booking = BookingFactory(
                backend=backend,
                project=ProjectFactory(),
                starts_at=seoul(2026, 3, day, 9),
                ends_at=seoul(2026, 3, day, 11),
            )
            for minute in (0, 20, 40):
                JobFactory(
                    booking=booking,
                    started_at=seoul(2026, 3, day, 9, minute),
                    qpu_seconds=1.0,
                    finished_at=seoul(2026, 3, day, 9, minute + 5),
                )
        return backend

    small, large = backend_with_bookings([3]), backend_with_bookings([3, 4, 5, 6, 7])
    for _ in ("seals the days", "reads the rollups"):
        with CaptureQueriesContext(connection) as on_small:
            run(small)
        with django_assert_num_queries(len(on_small.captured_queries)):
            run(large)


def test_wait_percentiles_round_each_wait_to_the_second_and_interpolate(backend):
    booking = BookingFactory(
        backend=backend, starts_at=seoul(2026, 3, 3, 9), ends_at=seoul(2026, 3, 3, 12), status=BookingStatus.COMPLETED
    )
    start = seoul(2026, 3, 3, 9)
    # Submitted before the booking began: the wait counts from the booking's start (10.4 s -> 10 s).
    JobFactory(
        booking=booking,
        submitted_at=start - dt.timedelta(hours=1),
        started_at=start + dt.timedelta(seconds=10.4),
        finished_at=start + dt.timedelta(seconds=20),
    )
    # Submitted during the booking: the wait counts from submission (20.6 s -> 21 s).
    JobFactory(
        booking=booking,
        submitted_at=start + dt.timedelta(minutes=10),
        started_at=start + dt.timedelta(minutes=10, seconds=20.6),
        finished_at=start + dt.timedelta(minutes=11),
    )
    snapshot = run(backend)
    assert snapshot["methods"] == {"wait_percentiles": "histogram_1s_linear"}
    assert snapshot["totals"]["wait_seconds_p50"] == 15.5  # halfway between 10 and 21
    assert snapshot["totals"]["wait_seconds_p95"] == 20.45  # 10 + 0.95 * 11
