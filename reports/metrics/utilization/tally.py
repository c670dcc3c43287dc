"""Per project and user tallies of the utilization report: a plain list of seconds and counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from reports.metrics.numbers import num

SECONDS_FIELDS = (
    "booked_seconds",
    "used_seconds",
    "exec_seconds",
    "no_show_seconds",
    "late_cancelled_seconds",
    "booked_lost_seconds",
)
COUNT_FIELDS = ("jobs", "jobs_failed", "shots")
FIELDS = SECONDS_FIELDS + COUNT_FIELDS
# Positions in a tally (a plain list: this runs once per booking and per job group).
BOOKED, USED, EXEC, NO_SHOW, LATE, LOST, JOBS, FAILED, SHOTS = range(len(FIELDS))


def _tally() -> list[float]:
    return [0.0] * len(FIELDS)


def _add(into: list[float], other: list[float]) -> None:
    for n, value in enumerate(other):
        into[n] += value


def _shaped(tally: list[float]) -> dict[str, Any]:
    data: dict[str, Any] = {name: num(tally[n]) for n, name in enumerate(SECONDS_FIELDS)}
    data.update({name: int(tally[len(SECONDS_FIELDS) + n]) for n, name in enumerate(COUNT_FIELDS)})
    return data


def _fold(by_pair: dict[tuple[int, int], list[float]]) -> tuple[dict[int, list[float]], dict[int, list[float]]]:
    """Fold the (project, user) tallies into tallies per project and per user."""
    by_project: dict[int, list[float]] = defaultdict(_tally)
    by_user: dict[int, list[float]] = defaultdict(_tally)
    for (project_id, user_id), tally in by_pair.items():
        _add(by_project[project_id], tally)
        _add(by_user[user_id], tally)
    return by_project, by_user


def _sum(tallies: Iterable[list[float]]) -> list[float]:
    """One tally adding up the given ones."""
    total = _tally()
    for tally in tallies:
        _add(total, tally)
    return total
