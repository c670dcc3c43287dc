"""The Celery app (`celery -A config worker -Q default,qpu,reports`)."""

import os
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init
from django.db import close_old_connections, connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, **kwargs: Any) -> None:
    """kombu's filesystem transport does not create its folders: make them for producer and worker alike."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        folder = options.get(key)
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)


@task_prerun.connect
@task_postrun.connect
def _database_connections_back_to_the_pool(task: Any = None, **kwargs: Any) -> None:
    """Before and after each task, as Django does around each request: the connection goes back to the pool (or is
    closed, without one), so no task starts on a connection a database restart broke (see CELERY_DB_REUSE_MAX).
    Not for a task run eagerly, inside its caller's transaction."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    close_old_connections()


@worker_init.connect
def _database_connections_closed_before_the_pool_starts(**kwargs: Any) -> None:
    """A worker closes its process's connections before its execution pool starts, as the fixup itself does when
    CELERY_DB_REUSE_MAX is unset. The fixup's `worker_process_init` handler closes the socket of every connection
    still open, without telling the server, because in a forked child it is the parent's; a solo or threaded pool
    sends that signal in the worker's own process, where the connection is its own and goes back to the pool: a
    later task would be lent a connection whose socket number another connection now uses, and hang."""
    connections.close_all()
