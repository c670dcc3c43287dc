"""Sealed days: per-day rollups of finished jobs, so that a year's report does not re-read a million jobs.

A UTC day of a backend can be *sealed* once it ended more than `SEAL_AFTER` ago and every job started in it
has finished. From then on nothing the application does changes what those jobs add up to: a finished job's
start, end, status, shots and metered time are final, and a job claimed again gets a new start (now). Sealing
writes, in one transaction and computed in the database (INSERT ... SELECT, nothing goes through Python):

- the day itself (`JobRollupDay`),
- the day's jobs per booking, project and user (`JobRollup`): jobs, failures, shots, QPU seconds, first start
  and last end;
- the day's wait histogram in whole seconds (`JobWaitRollup`).

A report reads the rollups of the sealed days inside its period and aggregates only the rest from the jobs:
the partial UTC days at the period's ends (local midnight is rarely UTC midnight) and days not sealed yet
(today, or a day with a job still running). `reports.metrics.jobs` merges the two; tests check that the
result equals reading every job.

A job inserted afterwards with a start in a sealed day (an import, demo data) has a higher id than the day's
`job_watermark`; the next report that reads the day notices, drops the day and seals it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Floor, Greatest, TruncDate
from django.utils import timezone

from reports.metrics.sql import Epoch, roomy_work_mem
from reports.models import JobRollup, JobRollupDay, JobWaitRollup
from scheduling.choices import JobStatus
from scheduling.models import Backend, Job

# A day is sealed only this long after it ended: a worker whose clock lags may still stamp a start in it.
SEAL_AFTER = dt.timedelta(hours=1)
ONE_DAY = dt.timedelta(days=1)
Span = tuple[dt.datetime, dt.datetime]


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def full_days(period: Span) -> tuple[dt.date, dt.date]:
    """The UTC days `[first, last)` entirely inside `period` (first >= last when there are none)."""
    start = period[0].astimezone(dt.UTC)
    first = start.date() if start.timetz() == dt.time.min.replace(tzinfo=dt.UTC) else start.date() + ONE_DAY
    return first, period[1].astimezone(dt.UTC).date()


def uncovered(period: Span, sealed: Iterable[dt.date]) -> list[Span]:
    """The parts of `period` outside the sealed days, as few spans as possible, in order."""
    spans: list[Span] = []
    cursor = period[0]
    for day in sorted(sealed):
        start, end = day_start(day), day_start(day + ONE_DAY)
        if start > cursor:
            spans.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < period[1]:
        spans.append((cursor, period[1]))
    return spans


def started_in(spans: Sequence[Span]) -> Q:
    """Jobs started in any of `spans` (matches nothing when there are none)."""
    condition = Q(pk__in=[])
    for start, end in spans:
        condition |= Q(started_at__gte=start, started_at__lt=end)
    return condition


def utc_day() -> TruncDate:
    return TruncDate("started_at", tzinfo=dt.UTC)


def job_wait() -> Floor:
    """A job's wait, rounded to the nearest whole second: start - max(submitted, booking start)."""
    return Floor(
        Epoch(F("started_at")) - Greatest(Epoch(F("submitted_at")), Epoch(F("booking__starts_at"))) + Value(0.5)
    )


def group_aggregates(*, as_epoch: bool) -> dict[str, Any]:
    """Per group of jobs: jobs, failures, shots, QPU seconds (0 for jobs never metered), first start and last
    end (timestamps, or POSIX seconds `as_epoch`)."""
    first, last = Min("started_at"), Max(Coalesce("finished_at", "started_at"))
    return {
        "n_jobs": Count("pk"),
        "n_failed": Count("pk", filter=Q(status=JobStatus.FAILED)),
        "shot_sum": Coalesce(Sum("shots"), 0),
        "exec_sum": Coalesce(Sum("qpu_seconds"), 0.0),
        "first": Epoch(first) if as_epoch else first,
        "last": Epoch(last) if as_epoch else last,
    }


def sealed_days(*, backend: Backend, first: dt.date, last: dt.date) -> dict[dt.date, int]:
    """The sealed days in `[first, last)` (day -> JobRollupDay id), sealing every day that can be sealed first
    and dropping days that a later-inserted job made stale."""
    if first >= last:
        return {}
    now = timezone.now()
    newest_job = Job.objects.aggregate(newest=Max("pk"))["newest"] or 0
    known = {
        day: (pk, watermark)
        for pk, day, watermark in JobRollupDay.objects.filter(backend=backend, day__gte=first, day__lt=last)
        .values_list("pk", "day", "job_watermark")
        .order_by()
    }
    if known and min(watermark for _, watermark in known.values()) < newest_job:
        _drop_stale(backend=backend, known=known, newest_job=newest_job, first=first, last=last)
    # Days that ended at least SEAL_AFTER ago, in the range and not sealed yet.
    sealable_until = min(last, (now - SEAL_AFTER).astimezone(dt.UTC).date())
    candidates = [first + dt.timedelta(days=n) for n in range((sealable_until - first).days)]
    candidates = [day for day in candidates if day not in known]
    if candidates:
        busy = set(
            Job.objects.filter(backend=backend, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
            .filter(started_in([(day_start(candidates[0]), day_start(candidates[-1] + ONE_DAY))]))
            .annotate(day=utc_day())
            .values_list("day", flat=True)
        )
        ready = [day for day in candidates if day not in busy]
        if ready:
            known.update(seal(backend=backend, days=ready, watermark=newest_job, now=now))
    return {day: pk for day, (pk, _) in known.items()}


def _drop_stale(
    *, backend: Backend, known: dict[dt.date, tuple[int, int]], newest_job: int, first: dt.date, last: dt.date
) -> None:
    """Drop the sealed days that a job inserted since they were checked falls in; mark the rest checked."""
    oldest = min(watermark for _, watermark in known.values())
    late = (
        Job.objects.filter(backend=backend, pk__gt=oldest, started_at__isnull=False)
        .filter(started_in([(day_start(first), day_start(last))]))
        .annotate(day=utc_day())
        .values("day")
        .annotate(top=Max("pk"))
        .values_list("day", "top")
        .order_by()
    )
    stale = [day for day, top in late if day in known and top > known[day][1]]
    with transaction.atomic():
        if stale:
            JobRollupDay.objects.filter(pk__in=[known[day][0] for day in stale]).delete()
        JobRollupDay.objects.filter(
            pk__in=[pk for day, (pk, _) in known.items() if day not in stale], job_watermark__lt=newest_job
        ).update(job_watermark=newest_job)
    for day in stale:
        del known[day]
    for day, (pk, _) in known.items():
        known[day] = (pk, newest_job)


def seal(
    *, backend: Backend, days: Sequence[dt.date], watermark: int, now: dt.datetime
) -> dict[dt.date, tuple[int, int]]:
    """Seal `days` (each ready: ended, every job in it finished) in one transaction; {} if another report
    sealed one of them at the same moment (this report then reads those days from the jobs)."""
    runs = _contiguous(days)
    jobs = Job.objects.filter(backend=backend).filter(started_in(runs))
    groups = (
        jobs.annotate(day=utc_day())
        .values("day", "booking_id", "project_id", "user_id")
        .annotate(**group_aggregates(as_epoch=False))
        .order_by()
    )
    waits = (
        jobs.annotate(day=utc_day(), wait=job_wait())
        .filter(wait__isnull=False)
        .values("day", "wait")
        .annotate(n_jobs=Count("pk"))
        .order_by()
    )
    try:
        with roomy_work_mem(), transaction.atomic():
            created = JobRollupDay.objects.bulk_create(
                [JobRollupDay(backend=backend, day=day, job_watermark=watermark, sealed_at=now) for day in days]
            )
            _insert_select(
                JobRollup,
                groups,
                backend,
                [
                    ("booking", "booking_id"),
                    ("project", "project_id"),
                    ("user", "user_id"),
                    ("jobs", "n_jobs"),
                    ("failed", "n_failed"),
                    ("shots", "shot_sum"),
                    ("qpu_seconds", "exec_sum"),
                    ("first_start", "first"),
                    ("last_end", "last"),
                ],
            )
            _insert_select(JobWaitRollup, waits, backend, [("wait_seconds", "wait"), ("jobs", "n_jobs")])
    except IntegrityError:
        return {}
    return {row.day: (row.pk, watermark) for row in created}


def _contiguous(days: Sequence[dt.date]) -> list[Span]:
    spans: list[Span] = []
    for day in sorted(days):
        if spans and spans[-1][1] == day_start(day):
            spans[-1] = (spans[-1][0], day_start(day + ONE_DAY))
        else:
            spans.append((day_start(day), day_start(day + ONE_DAY)))
    return spans


def _insert_select(model: Any, grouped: QuerySet[Any], backend: Backend, columns: Sequence[tuple[str, str]]) -> None:
    """INSERT the rows of a grouped queryset (with a `day` column) into `model`, each tied to its sealed day."""
    qn = connection.ops.quote_name
    sql, params = grouped.query.sql_with_params()
    targets = ", ".join(qn(model._meta.get_field(field).column) for field, _ in columns)
    sources = ", ".join(f"g.{qn(alias)}" for _, alias in columns)
    # Only quoted table and column names from model metadata and Django's own compiled SQL are interpolated;
    # every value is a parameter.
    with connection.cursor() as cursor:
        insert = (
            f"INSERT INTO {qn(model._meta.db_table)} (sealed_day_id, {targets}) "  # noqa: S608
            f"SELECT d.id, {sources} FROM ({sql}) g "
            f"JOIN {qn(JobRollupDay._meta.db_table)} d ON d.backend_id = %s AND d.day = g.{qn('day')}"
        )
        cursor.execute(insert, [*params, backend.pk])


def read(sealed: Iterable[int]) -> tuple[QuerySet[Any], QuerySet[Any], QuerySet[Any]]:
    """The sealed days' jobs per project and user (summed), per booking (as stored, a row per day: merging
    them in the database costs more than the caller doing it) and their wait histogram."""
    ids = list(sealed)
    rows = JobRollup.objects.filter(sealed_day_id__in=ids)
    pairs = (
        rows.values("project_id", "user_id")
        .annotate(n=Sum("jobs"), failed_sum=Sum("failed"), shot_sum=Sum("shots"), exec_sum=Sum("qpu_seconds"))
        .values_list("project_id", "user_id", "n", "failed_sum", "shot_sum", "exec_sum")
        .order_by()
    )
    spans = rows.values_list("booking_id", Epoch("first_start"), Epoch("last_end"), "qpu_seconds")
    waits = (
        JobWaitRollup.objects.filter(sealed_day_id__in=ids)
        .values("wait_seconds")
        .annotate(n=Sum("jobs"))
        .values_list("wait_seconds", "n")
        .order_by()
    )
    return pairs, spans, waits
