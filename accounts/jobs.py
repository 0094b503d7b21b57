"""Queueing Celery tasks from services without importing the task modules.

Tasks call services; a service that queues a task names it by its dotted path
instead of importing it, so no service module depends on the tasks that call
it back and the import graph stays free of cycles.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string


def task(path: str) -> Any:
    """The Celery task at dotted ``path`` (e.g. ``"accounts.tasks.notify_email_changed_task"``)."""
    return import_string(path)


def enqueue_on_commit(path: str, *args: Any, **kwargs: Any) -> None:
    """Queue the task at ``path`` once the current transaction commits.

    A transaction that rolls back queues nothing; outside a transaction the
    task is queued at once.
    """
    transaction.on_commit(partial(task(path).delay, *args, **kwargs))
