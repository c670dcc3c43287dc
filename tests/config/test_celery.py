"""A worker's database connections between tasks: what Celery's Django fixup does around each task in a prefork
worker (README's production workers), with this project's settings and its own signal handler (config.celery)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from celery.fixups.django import DjangoWorkerFixup
from django.conf import settings
from django.db import connection

from config.celery import _database_connections_back_to_the_pool, app

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
    # One pool for all 20 tasks, lending them its few connections (at most its max_size), where Celery's default
    # closed the pool around every task and each task connected anew.
    assert len(pools) == 1
    assert len(pids) <= settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
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
