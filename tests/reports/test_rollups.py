"""Sealed days (reports.metrics.rollups): a report read from rollups equals the report read from every job."""

import datetime as dt
import io
import random

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from reports.metrics import rollups
from reports.metrics.utilization import compute
from reports.models import JobRollup, JobRollupDay, JobWaitRollup
from reports.services import job_days_seal
from reports.tasks import job_days_seal_task
from scheduling.choices import BookingStatus, JobStatus
from tests.factories import BackendFactory, BookingFactory, JobFactory, OutageFactory, ProjectFactory, UserFactory
from tests.support import seoul

START, END = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
# Long after the period: every day of it can be sealed.
LATER = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def report(backend, *, tz="Asia/Seoul", start=START, end=END, at=LATER):
    with time_machine.travel(at, tick=False):
        return compute(backend=backend, start=start, end=end, time_zone=tz, now=LATER)


def sealed(backend) -> list[dt.date]:
    return sorted(JobRollupDay.objects.filter(backend=backend).values_list("day", flat=True))


@pytest.fixture
def busy_month(db):
    """A month of bookings at random hours (many cross a UTC or a local midnight, some straddle the period's
    ends), three projects and users, jobs with random waits, failures and unmetered runs."""
    rng = random.Random(7)
    backend = BackendFactory()
    projects = [ProjectFactory() for _ in range(3)]
    users = [UserFactory() for _ in range(3)]
    OutageFactory(backend=backend, starts_at=utc(2026, 3, 10, 3), ends_at=utc(2026, 3, 10, 9))
    start = utc(2026, 2, 28, 20)
    while start < utc(2026, 4, 1, 12):
        length = dt.timedelta(hours=rng.choice([1, 2, 3, 5]))
        n = rng.randrange(3)
        booking = BookingFactory(
            backend=backend,
            project=projects[n],
            user=users[n],
            starts_at=start,
            ends_at=start + length,
            status=rng.choice([BookingStatus.COMPLETED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW]),
        )
        if booking.status == BookingStatus.COMPLETED:
            t = start + dt.timedelta(seconds=rng.randint(0, 900))
            while t < start + length - dt.timedelta(minutes=10):  # the booking's end
                run = dt.timedelta(seconds=rng.uniform(1, 400))
                JobFactory(
                    booking=booking,
                    user=users[rng.randrange(3)],  # any member of the project may run a job in its booking
                    submitted_at=t - dt.timedelta(seconds=rng.uniform(0, 2000)),
                    started_at=t,
                    finished_at=t + run,
                    status=JobStatus.FAILED if rng.random() < 0.1 else JobStatus.COMPLETED,
                    qpu_seconds=None if rng.random() < 0.05 else round(run.total_seconds(), 3),
                    shots=rng.choice([100, 1000, 4000]),
                )
                t += run + dt.timedelta(seconds=rng.uniform(1, 1200))
        start += length + dt.timedelta(minutes=rng.choice([0, 15, 45, 200, 600]))
    return backend


@pytest.mark.parametrize("tz", ["Asia/Seoul", "Europe/Helsinki", "Asia/Kathmandu", "UTC", "America/St_Johns"])
def test_a_report_from_rollups_equals_the_report_from_every_job(busy_month, tz):
    # Before the period ended nothing can be sealed: every job is read.
    from_jobs = report(busy_month, tz=tz, at=utc(2026, 2, 1))
    assert sealed(busy_month) == []
    first = report(busy_month, tz=tz)  # seals every day, then reads the rollups
    assert len(sealed(busy_month)) >= 30
    again = report(busy_month, tz=tz)  # reads the rollups only
    for snapshot in (first, again):
        assert snapshot == from_jobs
    assert from_jobs["totals"]["jobs"] > 200
    assert from_jobs["totals"]["wait_seconds_p95"] is not None


def test_a_sealed_day_holds_exactly_its_jobs(busy_month):
    report(busy_month)
    day = JobRollupDay.objects.get(backend=busy_month, day=dt.date(2026, 3, 5))
    jobs = busy_month.jobs.filter(started_at__gte=utc(2026, 3, 5), started_at__lt=utc(2026, 3, 6))
    groups = JobRollup.objects.filter(sealed_day=day)
    assert sum(g.jobs for g in groups) == jobs.count() > 0
    assert sum(g.shots for g in groups) == sum(j.shots for j in jobs)
    assert sum(w.jobs for w in JobWaitRollup.objects.filter(sealed_day=day)) == jobs.count()


def test_a_day_with_a_running_job_is_not_sealed_until_the_job_finishes(backend):
    booking = BookingFactory(backend=backend, starts_at=seoul(2026, 3, 5, 9), ends_at=seoul(2026, 3, 5, 12))
    running = JobFactory(booking=booking, started_at=seoul(2026, 3, 5, 10), status=JobStatus.RUNNING)
    snapshot = report(backend)
    assert dt.date(2026, 3, 5) not in sealed(backend)  # 10:00 in Seoul is 01:00 UTC on the 5th
    assert dt.date(2026, 3, 4) in sealed(backend)
    assert (snapshot["totals"]["jobs"], snapshot["totals"]["exec_seconds"]) == (1, 0)

    running.status, running.finished_at, running.qpu_seconds = JobStatus.COMPLETED, seoul(2026, 3, 5, 10, 5), 42.0
    running.save()
    snapshot = report(backend)
    assert dt.date(2026, 3, 5) in sealed(backend)
    assert (snapshot["totals"]["jobs"], snapshot["totals"]["exec_seconds"]) == (1, 42)


def test_a_day_is_sealed_only_an_hour_after_it_ended(backend):
    booking = BookingFactory(backend=backend, starts_at=utc(2026, 3, 5, 9), ends_at=utc(2026, 3, 5, 12))
    JobFactory(booking=booking, started_at=utc(2026, 3, 5, 10), finished_at=utc(2026, 3, 5, 10, 1), qpu_seconds=3.0)
    for at, is_sealed in [(utc(2026, 3, 6, 0, 59), False), (utc(2026, 3, 6, 1, 0), True)]:
        snapshot = report(backend, tz="UTC", start=dt.date(2026, 3, 5), end=dt.date(2026, 3, 6), at=at)
        assert (dt.date(2026, 3, 5) in sealed(backend)) is is_sealed
        assert snapshot["totals"]["exec_seconds"] == 3


def test_a_job_inserted_later_into_a_sealed_day_reopens_only_that_day(busy_month):
    before = report(busy_month)
    days = dict(JobRollupDay.objects.filter(backend=busy_month).values_list("day", "pk"))
    booking = busy_month.bookings.filter(status=BookingStatus.COMPLETED, starts_at__date=dt.date(2026, 3, 12)).first()
    JobFactory(
        booking=booking,
        started_at=booking.starts_at + dt.timedelta(minutes=1),
        finished_at=booking.starts_at + dt.timedelta(minutes=2),
        qpu_seconds=60.0,
    )
    after = report(busy_month)
    assert after["totals"]["jobs"] == before["totals"]["jobs"] + 1
    assert after["totals"]["exec_seconds"] == pytest.approx(before["totals"]["exec_seconds"] + 60)
    now_days = dict(JobRollupDay.objects.filter(backend=busy_month).values_list("day", "pk"))
    reopened = [day for day in days if now_days.get(day) != days[day]]
    assert reopened == [booking.starts_at.astimezone(dt.UTC).date()]
    newest = busy_month.jobs.order_by("-pk").values_list("pk", flat=True)[0]
    assert set(JobRollupDay.objects.filter(backend=busy_month).values_list("job_watermark", flat=True)) == {newest}


def test_a_day_sealed_by_another_report_at_the_same_moment_leaves_nothing_half_written(backend):
    booking = BookingFactory(backend=backend, starts_at=utc(2026, 3, 5, 9), ends_at=utc(2026, 3, 6, 12))
    for day in (5, 6):
        JobFactory(booking=booking, started_at=utc(2026, 3, day, 10), finished_at=utc(2026, 3, day, 10, 1))
    now = utc(2026, 3, 9)
    assert rollups.seal(backend=backend, days=[dt.date(2026, 3, 5)], watermark=0, now=now)
    assert rollups.seal(backend=backend, days=[dt.date(2026, 3, 5), dt.date(2026, 3, 6)], watermark=0, now=now) == {}
    assert sealed(backend) == [dt.date(2026, 3, 5)]
    assert JobRollup.objects.filter(sealed_day__backend=backend).count() == 1


def test_rollup_rows_are_checked_by_the_database(backend):
    booking = BookingFactory(backend=backend, starts_at=utc(2026, 3, 5, 9), ends_at=utc(2026, 3, 5, 12))
    day = JobRollupDay.objects.create(backend=backend, day=dt.date(2026, 3, 5), job_watermark=0, sealed_at=LATER)
    row = {
        "sealed_day": day,
        "booking": booking,
        "project": booking.project,
        "user": booking.user,
        "shots": 10,
        "qpu_seconds": 1.0,
    }
    span = {"first_start": utc(2026, 3, 5, 10), "last_end": utc(2026, 3, 5, 11)}
    backwards = {"first_start": utc(2026, 3, 5, 11), "last_end": utc(2026, 3, 5, 10)}
    for bad in [
        {**row, **span, "jobs": 0, "failed": 0},
        {**row, **span, "jobs": 1, "failed": 2},
        {**row, **backwards, "jobs": 1, "failed": 0},
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            JobRollup.objects.create(**bad)
    with pytest.raises(IntegrityError), transaction.atomic():
        JobRollupDay.objects.create(backend=backend, day=dt.date(2026, 3, 5), job_watermark=0, sealed_at=LATER)
    with pytest.raises(IntegrityError), transaction.atomic():
        JobWaitRollup.objects.create(sealed_day=day, wait_seconds=3.0, jobs=0)


@pytest.mark.parametrize(
    ("start", "end", "first", "last"),
    [
        (utc(2026, 3, 1), utc(2026, 3, 3), dt.date(2026, 3, 1), dt.date(2026, 3, 3)),
        (utc(2026, 2, 28, 15), utc(2026, 3, 2, 15), dt.date(2026, 3, 1), dt.date(2026, 3, 2)),
        (utc(2026, 3, 1, 1), utc(2026, 3, 1, 23), dt.date(2026, 3, 2), dt.date(2026, 3, 1)),
    ],
)
def test_full_days_are_the_utc_days_inside_the_period(start, end, first, last):
    assert rollups.full_days((start, end)) == (first, last)


def test_uncovered_spans_are_the_period_outside_the_sealed_days():
    period = (utc(2026, 2, 28, 15), utc(2026, 3, 5, 15))
    days = [dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 4)]
    assert rollups.uncovered(period, days) == [
        (utc(2026, 2, 28, 15), utc(2026, 3, 1)),
        (utc(2026, 3, 3), utc(2026, 3, 4)),
        (utc(2026, 3, 5), utc(2026, 3, 5, 15)),
    ]
    assert rollups.uncovered(period, []) == [period]


def test_the_nightly_seal_covers_every_backend_once(db):
    spark, other, idle = BackendFactory(name="a-spark"), BackendFactory(name="b-other"), BackendFactory(name="c-idle")
    for backend, day in ((spark, 2), (spark, 6), (other, 4)):
        booking = BookingFactory(backend=backend, starts_at=utc(2026, 3, day, 9), ends_at=utc(2026, 3, day, 12))
        JobFactory(booking=booking, started_at=utc(2026, 3, day, 10), finished_at=utc(2026, 3, day, 10, 1))
    with time_machine.travel(utc(2026, 3, 9, 1, 30), tick=False):
        # 8 March ended 90 minutes ago: 2-8 and 4-8 March are over; 9 March is not.
        assert job_days_seal_task.apply().get() == {"a-spark": 7, "b-other": 5}
        days = dict(JobRollupDay.objects.values_list("pk", "day"))
        assert job_days_seal() == {"a-spark": 7, "b-other": 5}
    assert dict(JobRollupDay.objects.values_list("pk", "day")) == days  # nothing sealed twice
    assert not JobRollupDay.objects.filter(backend=idle).exists()
    assert sealed(spark) == [dt.date(2026, 3, n) for n in range(2, 9)]


def test_a_correction_made_in_the_database_shows_after_resealing(backend):
    booking = BookingFactory(backend=backend, starts_at=utc(2026, 3, 5, 9), ends_at=utc(2026, 3, 5, 12))
    job = JobFactory(
        booking=booking, started_at=utc(2026, 3, 5, 10), finished_at=utc(2026, 3, 5, 10, 1), qpu_seconds=3.0
    )
    day = {"tz": "UTC", "start": dt.date(2026, 3, 5), "end": dt.date(2026, 3, 6)}
    assert report(backend, **day)["totals"]["exec_seconds"] == 3
    type(job).objects.filter(pk=job.pk).update(qpu_seconds=30.0)  # behind the application's back
    assert report(backend, **day)["totals"]["exec_seconds"] == 3  # a sealed day is final, as documented
    out = io.StringIO()
    call_command("reseal_job_days", backend.name, "2026-03-05", "2026-03-06", stdout=out)
    assert "1 days sealed again" in out.getvalue()
    assert report(backend, **day)["totals"]["exec_seconds"] == 30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-backend", "2026-03-05", "2026-03-06"], "There is no backend"),
        (["spark", "2026-03-06", "2026-03-05"], "must come before"),
    ],
)
def test_resealing_refuses_bad_arguments_and_changes_nothing(backend, args, message):
    report(backend)
    before = list(JobRollupDay.objects.values_list("pk", "day"))
    with pytest.raises(CommandError, match=message):
        call_command("reseal_job_days", *args)
    assert list(JobRollupDay.objects.values_list("pk", "day")) == before
