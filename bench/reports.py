"""Benchmark of the utilization report on one year of data (not part of the test run).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qfr_bench .venv/bin/python bench/reports.py [--fresh]

Creates the database if it does not exist, migrates it, loads a year (about 35 000 bookings and 1 000 000
jobs) with COPY, then times the utilization report for the year and for one month next to the cheapest raw
SQL that reads the same rows (a plain aggregate over the period's jobs), and the PDF rendering.

The first report over the loaded year seals its days (reports.metrics.rollups: one pass over the jobs that
stores per-day rollups); it is timed on its own. The timed reports after it read the rollups, as every later
report does (in production the nightly `reports.tasks.job_days_seal_task` seals each day once it is over).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

SEOUL = ZoneInfo("Asia/Seoul")
YEAR = 2025
SLOT = dt.timedelta(minutes=15)
JOBS_PER_BOOKING = 36  # about 1 000 000 jobs over the year's completed bookings
BACKEND = "bench-spark"


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it is missing (connecting to the server's `postgres` database)."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def load(fresh: bool) -> int:
    """The benchmark backend's id, loading the year's data first if it is not there yet."""
    from django.db import connection, transaction

    from accounts.models import User
    from facility.models import Equipment, Organization, Site
    from reports.models import JobRollupDay
    from scheduling.models import Allocation, Backend, Booking, Job, MaintenanceWindow, Outage, Project

    existing = Backend.objects.filter(name=BACKEND).first()
    if existing and not fresh and Job.objects.filter(backend=existing).exists():
        return existing.pk
    if existing:
        print("removing the previous benchmark data")
        # Sealed days first (their rollups refer to the bookings; deleted jobs would go unnoticed by them).
        JobRollupDay.objects.filter(backend=existing).delete()
        with connection.cursor() as cursor:
            for table in (Job, Booking, MaintenanceWindow, Outage, Allocation):
                cursor.execute(f"DELETE FROM {table._meta.db_table} WHERE backend_id = %s", [existing.pk])
    rng = random.Random(42)
    started = time.perf_counter()
    with transaction.atomic():
        org, _ = Organization.objects.get_or_create(
            name="Bench University", defaults={"kind": "university", "country": "KR"}
        )
        site, _ = Site.objects.get_or_create(
            name="Bench site",
            defaults={"organization": org, "city": "Cheongju", "country": "KR", "time_zone": "Asia/Seoul"},
        )
        equipment, _ = Equipment.objects.get_or_create(
            manufacturer="IQM", serial_number="BENCH-1", defaults={"site": site, "name": "Bench QPU", "kind": "qpu"}
        )
        backend, _ = Backend.objects.get_or_create(
            name=BACKEND, defaults={"display_name": "Bench Spark", "site": site, "equipment": equipment}
        )
        institutions = [
            Organization.objects.get_or_create(
                name=f"Bench institution {i}", defaults={"kind": "university", "country": "KR"}
            )[0]
            for i in range(5)
        ]
        users = [
            User.objects.get_or_create(username=f"bench{i}", defaults={"email": f"bench{i}@example.org"})[0]
            for i in range(40)
        ]
        projects = [
            Project.objects.get_or_create(
                code=f"BENCH-{i:02d}",
                defaults={"title": f"Bench project {i}", "institution": institutions[i % 5], "pi": users[i]},
            )[0]
            for i in range(20)
        ]
        for project in projects:
            Allocation.objects.get_or_create(
                project=project,
                backend=backend,
                valid_from=dt.date(YEAR, 1, 1),
                defaults={"hours": Decimal(600), "valid_until": dt.date(YEAR, 12, 31)},
            )
        year_start = dt.datetime(YEAR, 1, 1, tzinfo=SEOUL)
        year_end = dt.datetime(YEAR + 1, 1, 1, tzinfo=SEOUL)
        windows = []
        day = year_start
        while day < year_end:
            if day.weekday() == 0:  # Monday 06:00-10:00 calibration
                windows.append((day + dt.timedelta(hours=6), day + dt.timedelta(hours=10)))
            day += dt.timedelta(days=1)
        MaintenanceWindow.objects.bulk_create(
            [
                MaintenanceWindow(
                    backend=backend, starts_at=s, ends_at=e, kind="calibration", title="Weekly calibration"
                )
                for s, e in windows
            ]
        )
        outages = []
        for _ in range(24):
            start = year_start + dt.timedelta(minutes=15 * rng.randrange(365 * 96))
            outages.append(
                Outage(
                    backend=backend,
                    starts_at=start,
                    ends_at=start + dt.timedelta(hours=rng.randint(1, 8)),
                    severity="major",
                    cause="Benchmark",
                )
            )
        Outage.objects.bulk_create(outages)
        down = sorted([*windows, *((o.starts_at, o.ends_at) for o in outages if o.ends_at is not None)])

        def is_down(start: dt.datetime) -> bool:
            return any(s <= start < e for s, e in down)

        now = dt.datetime.now(dt.UTC)
        booking_rows = []
        slot = year_start
        while slot < year_end:
            if rng.random() < 0.97 and not (slot.weekday() == 0 and 6 <= slot.hour < 10):
                project = projects[rng.randrange(20)]
                user = users[projects.index(project)]
                roll = rng.random()
                status = (
                    "completed"
                    if roll < 0.82
                    else "no_show"
                    if roll < 0.90
                    else "cancelled"
                    if roll < 0.97
                    else "confirmed"
                )
                if is_down(slot) and status == "completed":
                    status = "confirmed"
                cancelled_at = slot - dt.timedelta(hours=rng.randint(1, 72)) if status == "cancelled" else None
                booking_rows.append(
                    (
                        backend.pk,
                        project.pk,
                        user.pk,
                        slot,
                        slot + SLOT,
                        "",
                        status,
                        Decimal("0.25"),
                        Decimal(0),
                        cancelled_at,
                        "user" if cancelled_at else "",
                        bool(cancelled_at and rng.random() < 0.5),
                        True,
                        now,
                        now,
                    )
                )
            slot += SLOT
        with connection.cursor() as cursor:
            columns = (
                "backend_id, project_id, user_id, starts_at, ends_at, purpose, status, charged_hours, "
                "credited_hours, cancelled_at, cancel_reason, late_cancellation, override_policy, "
                "created_at, updated_at"
            )
            with cursor.copy(f"COPY {Booking._meta.db_table} ({columns}) FROM STDIN") as copy:
                for row in booking_rows:
                    copy.write_row(row)
        print(f"{len(booking_rows)} bookings in {time.perf_counter() - started:.1f} s")
        # Read before COPY starts: the connection cannot fetch rows while a COPY is open on it.
        completed = list(
            Booking.objects.filter(backend=backend, status="completed").values_list(
                "pk", "project_id", "user_id", "starts_at"
            )
        )
        n_jobs = 0
        with connection.cursor() as cursor:
            columns = (
                "backend_id, project_id, user_id, booking_id, name, qasm, shots, status, submitted_at, "
                "started_at, finished_at, error, cancel_reason, qpu_seconds, attempts"
            )
            with cursor.copy(f"COPY {Job._meta.db_table} ({columns}) FROM STDIN") as copy:
                for booking_id, project_id, user_id, starts_at in completed:
                    t = starts_at + dt.timedelta(seconds=rng.randint(0, 60))
                    for _ in range(rng.randint(JOBS_PER_BOOKING - 6, JOBS_PER_BOOKING + 6)):
                        submitted = t - dt.timedelta(seconds=rng.randint(0, 30))
                        run = rng.uniform(4.0, 20.0)
                        finished = t + dt.timedelta(seconds=run)
                        if finished > starts_at + SLOT:
                            break
                        copy.write_row(
                            (
                                backend.pk,
                                project_id,
                                user_id,
                                booking_id,
                                "",
                                "OPENQASM 2.0;",
                                1000,
                                "failed" if rng.random() < 0.03 else "completed",
                                submitted,
                                t,
                                finished,
                                "",
                                "",
                                round(run, 3),
                                1,
                            )
                        )
                        n_jobs += 1
                        t = finished + dt.timedelta(seconds=rng.uniform(0.2, 3.0))
        print(f"{n_jobs} jobs loaded; {time.perf_counter() - started:.1f} s in all")
    return backend.pk


def vacuum_analyze() -> None:
    """Put the tables in the state a long-running database has them in (statistics current, the visibility
    map set): the raw aggregate then runs at its fastest, so the ratio is not flattered."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def best_of(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fresh", action="store_true", help="reload the data even if it is there")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each query (the best counts)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/qfr_bench")
    ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from reports.metrics.intervals import period_bounds
    from reports.metrics.utilization import compute
    from reports.models import JobRollupDay, Report
    from reports.services import report_pdf_get
    from scheduling.models import Backend, Job

    call_command("migrate", verbosity=0)
    backend = Backend.objects.select_related("site").get(pk=load(args.fresh))
    vacuum_analyze()
    jobs_table = Job._meta.db_table
    print(f"data: {backend.bookings.count()} bookings, {Job.objects.filter(backend=backend).count()} jobs")

    def raw(start: dt.date, end: dt.date) -> tuple[Any, ...]:
        # The cheapest SQL that reads every job the report reads (those of the backend started in the period):
        # a plain aggregate, no grouping, no join. Without the backend filter it would read other backends' jobs.
        bounds = period_bounds(start, end, SEOUL)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*), sum(qpu_seconds), sum(shots) FROM {jobs_table}"
                " WHERE backend_id = %s AND started_at >= %s AND started_at < %s",
                [backend.pk, *bounds],
            )
            row: tuple[Any, ...] = cursor.fetchone()
        return row

    def report(start: dt.date, end: dt.date) -> dict[str, Any]:
        return compute(backend=backend, start=start, end=end, time_zone="Asia/Seoul")

    year = (dt.date(YEAR, 1, 1), dt.date(YEAR + 1, 1, 1))
    raw(*year)  # warm the cache
    JobRollupDay.objects.filter(backend=backend).delete()  # so that the first report is timed from scratch
    t0 = time.perf_counter()
    report(*year)
    first_s = time.perf_counter() - t0
    raw_s = best_of(args.runs, lambda: raw(*year))
    print(
        f"first report of the year (seals {JobRollupDay.objects.filter(backend=backend).count()} days): "
        f"{first_s * 1000:.0f} ms = {first_s / raw_s:.1f}x the raw aggregate ({raw_s * 1000:.1f} ms)"
    )

    results: dict[str, tuple[dict[str, Any], float]] = {}
    for label, start, end in [("year", *year), ("month", dt.date(YEAR, 3, 1), dt.date(YEAR, 4, 1))]:
        expected = raw(start, end)
        raw_s = best_of(args.runs, lambda s=start, e=end: raw(s, e))
        snapshot: dict[str, Any] = {}
        report_s = best_of(args.runs, lambda s=start, e=end, out=snapshot: out.update(report(s, e)))
        results[label] = (snapshot, report_s)
        totals = snapshot["totals"]
        agrees = (totals["jobs"], totals["shots"]) == (expected[0], expected[2]) and abs(
            totals["exec_seconds"] - expected[1]
        ) < 0.01
        print(
            f"{label:5}: report {report_s * 1000:8.1f} ms | raw aggregate {raw_s * 1000:7.1f} ms | "
            f"ratio {report_s / raw_s:5.2f}x | invariant holds: {snapshot['invariant']['holds']} | "
            f"jobs, shots and QPU seconds equal the raw aggregate's: {agrees}"
        )

    year_snapshot = results["year"][0]
    report_row = Report.objects.create(
        kind="utilization",
        status="succeeded",
        snapshot=year_snapshot,
        params={"backend": backend.pk, "start": f"{YEAR}-01-01", "end": f"{YEAR + 1}-01-01", "time_zone": "Asia/Seoul"},
    )
    t0 = time.perf_counter()
    pdf = report_pdf_get(report=report_row)
    print(f"PDF of the year: {time.perf_counter() - t0:.2f} s, {len(pdf) / 1024:.0f} KiB ({report_row.pdf.name})")
    totals = year_snapshot["totals"]
    print(
        "year totals: "
        + ", ".join(
            f"{k}={totals[k]}"
            for k in ("period_seconds", "booked_seconds", "idle_seconds", "jobs", "utilization", "wait_seconds_p95")
        )
        + f" (wait percentiles: {year_snapshot['methods']['wait_percentiles']})"
    )


if __name__ == "__main__":
    main()
