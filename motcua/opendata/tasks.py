"""The scheduled refresh of the open data, on the Django tasks API (django-tasks-db's `db_worker` runs it).

Each run first queues the next one, `MOTCUA_OPENDATA_REFRESH_MINUTES` later (at most one waits at a time), then
regenerates the datasets: the schedule goes on even if a run is killed half-way. `manage.py opendata_refresh` starts
the chain (the demo setup runs it).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django_tasks import task

from motcua.core import clock
from motcua.core.background import schedule_run

from . import services


@task()
def refresh_opendata() -> int:
    """Regenerate the open datasets; returns how many changed."""
    schedule_next()
    return len(services.refresh_all().changed)


def schedule_next() -> bool:
    """Queue the next refresh, unless the backend cannot defer or one is already waiting."""
    minutes = settings.MOTCUA_OPENDATA_REFRESH_MINUTES
    return schedule_run(refresh_opendata, clock.now() + timedelta(minutes=minutes))
