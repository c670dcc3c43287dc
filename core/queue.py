"""Handing Celery tasks to the broker after the transaction that prepared their rows commits."""

from __future__ import annotations

import importlib
import logging

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


def delay_after_commit(task_name: str, *args: int | str, refused: str) -> None:
    """Queue `task_name(*args)` once the current transaction commits.

    The rows are committed by then, so a broker that refuses must not turn a success into an error: `refused` is
    logged and the caller's sweeper (where it has one) queues the work again. Only the broker's refusal is caught;
    errors of an eagerly run task still propagate. The task is found by name at publish time (`task_by_name`).
    """

    def publish() -> None:
        task = task_by_name(task_name)
        try:
            task.delay(*args)
        except BrokerUnavailable:
            logger.exception(refused)

    transaction.on_commit(publish)
