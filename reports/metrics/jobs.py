"""Jobs started in a period, aggregated without reading them one by one (DESIGN.md section 4).

A year is about a million jobs, so they are only ever aggregated in the database, into three things: per
project and user (jobs, failures, shots, QPU seconds: every job total and breakdown), per booking (first start,
last end, QPU seconds: the `used` spans and the daily series) and the histogram of job waits in whole seconds
(for the wait percentiles). Sealed days come from their rollups (`reports.metrics.rollups`); only the rest of the
period (its partial UTC days at the ends, days not sealed yet) is aggregated from the jobs, and the two merge.

Wait percentiles are read from that histogram: each wait is rounded to the nearest whole second, and p50/p95
interpolate linearly between the two closest ranks (as `percentile_cont`). An exact percentile would need a
sort of every wait of the period; the snapshot says which method was used (`WAIT_PERCENTILE_METHOD`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, cast

from django.db.models import Count, QuerySet

from reports.metrics import rollups
from reports.metrics.sql import fetch_rows
from scheduling.models import Backend, Job

WAIT_PERCENTILE_METHOD = "histogram_1s_linear"

# Jobs of one project and user started in (a part of) the period: project and user ids, jobs, failed jobs,
# shots and QPU seconds. A few dozen rows.
JobPair = tuple[int, int, int, int, int, float]
# Jobs of one booking started in (a part of) the period: booking id, first start and last end (POSIX seconds),
# QPU seconds. A plain tuple: there are 30 000 a year.
JobSpan = tuple[int, float, float, float]


class JobTotals(NamedTuple):
    """The jobs started in a period. A project and user, or a booking, may have several rows (one per sealed
    day, one for the rest of the period): their counts and sums add up, first starts and last ends merge."""

    pairs: list[JobPair]
    spans: list[JobSpan]
    wait_histogram: list[tuple[float, int]]  # (wait in whole seconds, jobs), sorted by wait


def job_totals(*, backend: Backend, period: tuple[dt.datetime, dt.datetime]) -> JobTotals:
    """Per project/user and per booking aggregates and the wait histogram of the jobs started in `period`."""
    first, last = rollups.full_days(period)
    sealed = rollups.sealed_days(backend=backend, first=first, last=last)
    pairs: list[JobPair] = []
    spans: list[JobSpan] = []
    waits: dict[float, int] = {}
    if sealed:
        sealed_pairs, sealed_spans, sealed_waits = rollups.read(sealed.values())
        # Typed by the driver and never NULL, except that PostgreSQL sums integers as numeric.
        pairs = [(p, u, int(n), int(f), int(s), e) for p, u, n, f, s, e in fetch_rows(sealed_pairs)]
        spans = cast(list[JobSpan], fetch_rows(sealed_spans))
        _count_waits(waits, fetch_rows(sealed_waits))
    rest = rollups.uncovered(period, sealed)
    if rest:
        jobs = Job.objects.filter(backend=backend).filter(rollups.started_in(rest))
        # QuerySet[Any]: the type checker cannot see annotations passed as **kwargs.
        per_group: QuerySet[Any] = jobs.values("booking_id", "project_id", "user_id").annotate(
            **rollups.group_aggregates(as_epoch=True)
        )
        grouped = per_group.values_list(
            "booking_id", "project_id", "user_id", "n_jobs", "n_failed", "shot_sum", "exec_sum", "first", "last"
        ).order_by()
        for booking_id, project_id, user_id, n, failed, shot_sum, exec_sum, first_start, last_end in fetch_rows(
            grouped
        ):
            pairs.append((project_id, user_id, n, failed, shot_sum, exec_sum))
            spans.append((booking_id, first_start, last_end, exec_sum))
        raw_waits = (
            jobs.annotate(wait=rollups.job_wait()).values("wait").annotate(n=Count("pk")).values_list("wait", "n")
        )
        _count_waits(waits, fetch_rows(raw_waits.order_by()))
    return JobTotals(pairs, spans, sorted(waits.items()))


def _count_waits(into: dict[float, int], rows: Iterable[tuple[Any, ...]]) -> None:
    for wait, count in rows:
        if wait is not None:
            into[float(wait)] = into.get(float(wait), 0) + int(count)


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
