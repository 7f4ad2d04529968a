"""Helpers shared by the background work of several apps: exponential backoff and deferred follow-up task runs."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task


def exponential_backoff(attempts: int, base_seconds: float, cap_seconds: float) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: base × 2^(attempts−1), at most `cap_seconds`."""
    exponent = min(max(attempts - 1, 0), 30)
    return timedelta(seconds=min(base_seconds * (2**exponent), cap_seconds))


def _already_scheduled(backend: BaseTaskBackend, task: Task, at: datetime) -> bool:
    """A run of `task` waits in the database backend's queue, due now or at `at` or earlier."""
    try:
        from django_tasks_db import DatabaseBackend
        from django_tasks_db.models import DBTaskResult, get_date_max
    except ImportError:  # pragma: no cover - django-tasks-db is a dependency
        return False
    if not isinstance(backend, DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(
        Q(run_after=get_date_max()) | Q(run_after__lte=at),
        backend_name=backend.alias, task_path=task.module_path, status="READY",
    ).exists()


def schedule_run(task: Task, at: datetime) -> bool:
    """Enqueue `task` (no arguments) to run at `at` unless the backend cannot defer or a run due by then is already
    waiting. Returns whether one was enqueued."""
    backend = task.get_backend()
    if not backend.supports_defer or _already_scheduled(backend, task, at):
        return False
    task.using(run_after=at).enqueue()
    return True
