"""Background work of the outbox, on the Django tasks API (django-tasks; django-tasks-db's `db_worker` runs it).

`outbox.emit` enqueues `deliver_outbox` when the producing transaction commits. The task delivers everything due; if
deliveries are left waiting for a retry and the backend can defer (the database backend can), it schedules one more
run for when the earliest of them is due, so retries happen without an operator's sweeper. Each run also first
makes sure one run waits for when its leases would end (`schedule_lease_guard`), so that the deliveries of a worker
killed half-way are taken up again even if no new event comes.
"""

from __future__ import annotations

import logging

from django_tasks import task

from motcua.core import clock
from motcua.core.background import schedule_run

from . import outbox

logger = logging.getLogger(__name__)

# A guard against a handler that keeps emitting events for itself: the task yields after this many batches.
MAX_BATCHES = 1000


@task()
def deliver_outbox() -> int:
    """Deliver every due outbox delivery; returns how many deliveries were attempted."""
    schedule_lease_guard()
    attempted = 0
    for _batch in range(MAX_BATCHES):
        done = outbox.deliver_pending()
        attempted += done
        if not done:
            break
    schedule_follow_up()
    return attempted


def schedule_lease_guard() -> bool:
    """Before claiming anything, make sure a run waits in the queue for when this run's leases would run out.

    A worker killed in the middle of a run (SIGKILL, OOM, a lost machine) never reaches `schedule_follow_up`, and its
    task row stays "running": without this, the deliveries it had leased would wait for the next event's task, forever
    if no event came. At most one such run is queued per lease period, and it finds nothing when all went well."""
    return schedule_run(deliver_outbox, clock.now() + outbox.lease())


def schedule_follow_up() -> bool:
    """Enqueue a deferred `deliver_outbox` for the earliest pending delivery, if the backend can defer.

    Returns whether one was enqueued. Backends that cannot defer (the immediate backend) rely on the next event's
    task or on `manage.py deliver_outbox --loop` for retries.
    """
    at = outbox.next_attempt_at()
    if at is None:
        return False
    if not schedule_run(deliver_outbox, max(at, clock.now())):
        return False
    logger.debug("Outbox: next delivery run scheduled at %s", at)
    return True
