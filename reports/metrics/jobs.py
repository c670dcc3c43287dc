"""Jobs started in a period, aggregated in one pass over the job table (DESIGN.md section 4).

A year is about a million jobs, so they are only ever aggregated in the database. Two groupings are needed:
per booking, project and user (jobs, failures, shots, QPU seconds, first start and last end: every job total,
breakdown and the `used` spans derive from these rows) and the histogram of job waits in whole seconds (for
the wait percentiles). On PostgreSQL one scan feeds both with GROUPING SETS; elsewhere they are two queries.

Wait percentiles are read from that histogram: each wait is rounded to the nearest whole second, and p50/p95
interpolate linearly between the two closest ranks (as `percentile_cont`). An exact percentile would need a
sort of every wait of the period (a second pass over the jobs, costing more than the rest of the report);
the snapshot says which method was used (`WAIT_PERCENTILE_METHOD`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Count, F, FloatField, Func, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Floor, Greatest

from scheduling.choices import JobStatus
from scheduling.models import Backend, Booking, Job

WAIT_PERCENTILE_METHOD = "histogram_1s_linear"


class Epoch(Func):
    """POSIX seconds of a timestamp, computed in the database: a float is far cheaper to read than a timestamp."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # date_part() is float8 all the way; EXTRACT() goes through numeric (several times slower per row).
        return self.as_sql(compiler, connection, template="date_part('epoch', %(expressions)s)", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # julianday() works in whole milliseconds; round away the floating-point noise of the conversion.
        template = "ROUND((julianday(%(expressions)s) - 2440587.5) * 86400000.0) / 1000.0"
        return self.as_sql(compiler, connection, template=template, **extra)


# Jobs of one booking, project and user started in the period: booking, project and user ids, jobs, failed
# jobs, shots, QPU seconds, first start and last end (POSIX seconds). A plain tuple: there are 30 000 a year.
JobGroup = tuple[int, int, int, int, int, int, float, float, float]


class JobTotals(NamedTuple):
    groups: list[JobGroup]
    wait_histogram: list[tuple[float, int]]  # (wait in whole seconds, jobs), sorted by wait


@contextmanager
def roomy_work_mem() -> Iterator[None]:
    """On PostgreSQL, let one report's grouping happen in memory (the 4 MB default spills a year to disk)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '128MB'")
        yield


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def fetch_rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """A values_list() queryset's rows straight from the cursor, skipping Django's per-row converters (they
    cost more than the query for 30 000 rows); only for columns the driver already returns as wanted."""
    return _fetch(*queryset.query.sql_with_params())


def _group(row: Sequence[Any]) -> JobGroup:
    # Only the sums can be NULL (shots and QPU seconds of jobs never metered); the driver gives the rest typed.
    return (row[0], row[1], row[2], row[3], row[4], row[5] or 0, float(row[6] or 0), row[7], row[8])


_PG_ONE_SCAN = """
SELECT GROUPING(j.booking_id), j.booking_id, j.project_id, j.user_id,
       COUNT(*), COUNT(*) FILTER (WHERE j.status = %s), SUM(j.shots), SUM(j.qpu_seconds),
       date_part('epoch', MIN(j.started_at)), date_part('epoch', MAX(COALESCE(j.finished_at, j.started_at))),
       FLOOR(date_part('epoch', j.started_at - GREATEST(j.submitted_at, b.starts_at)) + 0.5) AS wait
FROM {job} j JOIN {booking} b ON b.id = j.booking_id
WHERE j.backend_id = %s AND j.started_at >= %s AND j.started_at < %s
GROUP BY GROUPING SETS ((j.booking_id, j.project_id, j.user_id), (wait))
"""


def job_totals(*, backend: Backend, period: tuple[dt.datetime, dt.datetime]) -> JobTotals:
    """Per booking/project/user aggregates and the wait histogram of the jobs started in `period`."""
    groups: list[JobGroup] = []
    histogram: list[tuple[float, int]] = []
    if connection.vendor == "postgresql":
        qn = connection.ops.quote_name
        sql = _PG_ONE_SCAN.format(job=qn(Job._meta.db_table), booking=qn(Booking._meta.db_table))
        with roomy_work_mem():
            rows = _fetch(sql, [JobStatus.FAILED, backend.pk, period[0], period[1]])
        for row in rows:
            if row[0]:
                if row[10] is not None:
                    histogram.append((float(row[10]), int(row[4])))
            else:
                groups.append(_group(row[1:10]))
        histogram.sort()
        return JobTotals(groups, histogram)

    jobs = Job.objects.filter(backend=backend, started_at__gte=period[0], started_at__lt=period[1])
    grouped = (
        jobs.values("booking_id", "project_id", "user_id")
        .annotate(
            n=Count("pk"),
            failed=Count("pk", filter=Q(status=JobStatus.FAILED)),
            shot_sum=Sum("shots"),
            exec_sum=Sum("qpu_seconds"),
            first=Epoch(Min("started_at")),
            last=Epoch(Max(Coalesce("finished_at", "started_at"))),
        )
        .values_list("booking_id", "project_id", "user_id", "n", "failed", "shot_sum", "exec_sum", "first", "last")
        .order_by()
    )
    groups = [_group(row) for row in fetch_rows(grouped)]
    wait = Floor(
        Epoch(F("started_at")) - Greatest(Epoch(F("submitted_at")), Epoch(F("booking__starts_at"))) + Value(0.5)
    )
    waits = jobs.annotate(wait=wait).values("wait").annotate(n=Count("pk")).values_list("wait", "n").order_by()
    histogram = sorted((float(w), int(n)) for w, n in fetch_rows(waits) if w is not None)
    return JobTotals(groups, histogram)


def histogram_percentiles(histogram: Sequence[tuple[float, int]], fractions: Sequence[float]) -> list[float | None]:
    """Percentiles of the values a sorted (value, count) histogram describes, interpolated as percentile_cont."""
    total = sum(count for _, count in histogram)
    if not total:
        return [None for _ in fractions]
    results: list[float | None] = []
    for fraction in fractions:
        rank = fraction * (total - 1)
        low = math.floor(rank)
        low_value = high_value = _value_at(histogram, low)
        if rank > low:
            high_value = _value_at(histogram, low + 1)
        results.append(low_value + (high_value - low_value) * (rank - low))
    return results


def _value_at(histogram: Sequence[tuple[float, int]], index: int) -> float:
    """The `index`-th smallest value (0-based) of the histogram's values."""
    seen = 0
    for value, count in histogram:
        seen += count
        if index < seen:
            return value
    return histogram[-1][0]
