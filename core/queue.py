"""Handing Celery tasks to the broker after the transaction that prepared their rows commits."""

from __future__ import annotations

import datetime
import importlib
import logging
from collections.abc import Callable
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

logger = logging.getLogger(__name__)


def task_by_name(task_name: str) -> Task[..., object]:
    """The Celery task at the dotted path `task_name`, imported only now.

    Services hand work to tasks by name, so that a services module never imports the tasks module that wraps it
    (the tasks import the services); and a web process, which never runs Celery's autodiscovery, still finds it.
    """
    module, _, name = task_name.rpartition(".")
    task: Task[..., object] = getattr(importlib.import_module(module), name)
    return task


def task_publish(
    task_name: str,
    *args: int | str,
    eta: datetime.datetime | None = None,
    refused: str,
    task_id: str | None = None,
) -> bool:
    """Hand `task_name(*args)` to the broker now (to run at `eta` when given, as message `task_id` when given);
    False, with `refused` logged, when the broker refuses.

    No time limit travels in the message: a limit in the message would override the worker's own settings and
    its `--time-limit`, so the worker that runs the task decides.
    """
    task = task_by_name(task_name)
    options: dict[str, Any] = {"time_limit": None, "soft_time_limit": None}
    if eta is not None:
        options["eta"] = eta
    if task_id is not None:
        options["task_id"] = task_id
    try:
        task.apply_async(args=args, **options)
    except BrokerUnavailable:
        logger.exception(refused)
        return False
    return True


def delay_after_commit(
    task_name: str,
    *args: int | str,
    refused: str,
    eta: datetime.datetime | None = None,
    on_refused: Callable[[], object] | None = None,
    task_id: str | None = None,
) -> None:
    """Queue `task_name(*args)` (at `eta` when given) once the current transaction commits.

    The rows are committed by then, so a broker that refuses must not turn a success into an error: `refused` is
    logged, `on_refused` runs (e.g. to mark the row unpublished) and the caller's sweeper (where it has one) queues
    the work again. Only the broker's refusal is caught; errors of an eagerly run task still propagate. The task is
    found by name at publish time (`task_by_name`).
    """

    def publish() -> None:
        if not task_publish(task_name, *args, eta=eta, refused=refused, task_id=task_id) and on_refused is not None:
            on_refused()

    transaction.on_commit(publish)
