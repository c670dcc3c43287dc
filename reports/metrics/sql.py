"""Small database helpers of the metric engine: epoch seconds, a roomier work_mem, rows without converters."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import FloatField, Func, QuerySet


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


@contextmanager
def roomy_work_mem() -> Iterator[None]:
    """On PostgreSQL, let one big grouping happen in memory (the 4 MB default spills a year of jobs to disk)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '128MB'")
        yield


def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with _binary_cursor() if connection.vendor == "postgresql" else connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def _binary_cursor() -> CursorWrapper:
    """A cursor that reads results in PostgreSQL's binary format.

    Django's psycopg cursors bind parameters client-side, and those read results only as text. Parsing tens of
    thousands of floats from text costs about twice as much as reading them in binary (measured with
    bench/reports.py). This is a server-bound psycopg cursor wrapped the way Django wraps its own cursors, so
    its queries are still logged and counted and its errors translated.
    """
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor = psycopg.Cursor(connection.connection)
        cursor.format = psycopg.pq.Format.BINARY
    wrapper = CursorDebugWrapper if connection.queries_logged else CursorWrapper
    return wrapper(cursor, connection)


def fetch_rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """A values_list() queryset's rows straight from the cursor, skipping Django's per-row converters (they
    cost more than the query for 30 000 rows); only for columns the driver already returns as wanted."""
    return fetch(*queryset.query.sql_with_params())
