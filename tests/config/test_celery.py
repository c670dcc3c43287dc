"""A worker's database connections between tasks: what Celery's Django fixup does around each task in a prefork
worker (README's production workers), with this project's settings and its own signal handler (config.celery)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from celery.fixups.django import DjangoWorkerFixup
from django.conf import settings
from django.db import connection, connections

from config.celery import (
    _database_connections_back_to_the_pool,
    _database_connections_closed_before_the_pool_starts,
    app,
)

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql", reason="psycopg's pool: PostgreSQL"
)


def _prefork_fixup() -> DjangoWorkerFixup:
    fixup = DjangoWorkerFixup(app)
    fixup.worker = SimpleNamespace(pool_cls="celery.concurrency.prefork:TaskPool")
    return fixup


def _task(*, eager: bool = False) -> SimpleNamespace:
    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    return int(pid)


def _run_tasks(fixup: DjangoWorkerFixup, count: int) -> tuple[set[int], set[int]]:
    """Run `count` tasks as a prefork worker's process does; the server processes they used, and the pools (kept
    alive here, so that no two share an id)."""
    pids: set[int] = set()
    kept: list[object] = []
    for _ in range(count):
        task = _task()
        fixup.on_task_prerun(sender=task)
        _database_connections_back_to_the_pool(task=task)
        pids.add(_backend_pid())
        kept.append(connection.pool)
        _database_connections_back_to_the_pool(task=task)
        fixup.on_task_postrun(sender=task)
    return pids, {id(pool) for pool in kept}


@pytest.mark.django_db(transaction=True)
def test_a_prefork_workers_tasks_share_its_connection_pool():
    # The pool is on, as in production (not switched off for tests).
    assert settings.DATABASES["default"]["OPTIONS"]["pool"]
    assert app.conf.get("CELERY_DB_REUSE_MAX") == settings.CELERY_DB_REUSE_MAX
    pids, pools = _run_tasks(_prefork_fixup(), 20)
    # One pool for all 20 tasks, lending its own few connections (at most 4), where Celery's default closed the pool
    # around every task and each task connected anew.
    assert len(pools) == 1
    assert len(pids) <= 4
    # Each task handed its connection back: none is held between tasks.
    assert connection.connection is None


@pytest.mark.django_db(transaction=True)
def test_without_the_setting_each_task_connected_anew(monkeypatch):
    # The behaviour CELERY_DB_REUSE_MAX corrects, shown: Celery's default closes the pool around every task.
    fixup = _prefork_fixup()
    monkeypatch.setattr(fixup, "db_reuse_max", None)
    pids, pools = _run_tasks(fixup, 5)
    assert len(pids) == 5
    assert len(pools) == 5


@pytest.mark.django_db(transaction=True)
def test_an_eager_task_leaves_its_callers_connection_alone():
    before = _backend_pid()
    _database_connections_back_to_the_pool(task=_task(eager=True))
    assert connection.connection is not None
    assert _backend_pid() == before


def _in_another_thread() -> list[int]:
    """A query from another thread of this process, as a solo or threaded worker's task runs it; its server process
    (none if it did not answer within 10 s)."""
    answered: list[int] = []

    def query() -> None:
        try:
            answered.append(_backend_pid())
        finally:
            connections.close_all()

    thread = threading.Thread(target=query, daemon=True)
    thread.start()
    thread.join(timeout=10)
    return answered


@pytest.mark.django_db(transaction=True)
def test_a_worker_started_in_this_process_leaves_the_pool_sound():
    # A solo worker (and the suite's in-thread worker) starts in the process that already holds a connection. The
    # fixup's process-init handler would close that connection's socket unannounced and return it to the pool, and
    # the next connection opened would take its socket number: a task lent the returned one waited forever.
    mine = _backend_pid()
    _database_connections_closed_before_the_pool_starts()
    assert connection.connection is None
    fixup = DjangoWorkerFixup(app)
    fixup.on_worker_process_init()
    # This thread carries on, and a task in another thread is answered by a server process of its own.
    ours = _backend_pid()
    theirs = _in_another_thread()
    assert len(theirs) == 1
    assert theirs[0] != ours
    assert mine in {ours, theirs[0]}
