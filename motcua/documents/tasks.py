"""Background work of the digitization pipeline, on the Django tasks API (`db_worker --queue-name ocr` runs it).

`digitization.enqueue` wakes `digitize_pending` when the queuing transaction commits. A run digitizes every due file,
one at a time, each claimed with a lease. Before each file it makes sure one more run is scheduled for when that lease
runs out, so a worker killed mid-way is made up for without an operator; after the last file it schedules a run for
the earliest retry. Several workers on the `ocr` queue digitize different files side by side.
"""

from __future__ import annotations

from django_tasks import task

from motcua.core import clock
from motcua.core.background import schedule_run

from . import ocr

QUEUE = "ocr"
# A run yields after this many files (a fresh run is scheduled), so one run never holds a worker for days.
MAX_FILES_PER_RUN = 200


@task(queue_name=QUEUE)
def digitize_pending() -> int:
    """Digitize the due files; returns how many were processed."""
    processed = 0
    while processed < MAX_FILES_PER_RUN:
        digitization = ocr.claim()
        if digitization is None:
            break
        schedule_run(digitize_pending, digitization.next_attempt_at)  # this lease's end, should this worker die
        ocr.process(digitization)
        processed += 1
    schedule_follow_up()
    return processed


def schedule_follow_up() -> bool:
    """Schedule a run for the earliest queued retry or lease end, if the backend can defer; whether one was."""
    at = ocr.next_due_at()
    if at is None:
        return False
    return schedule_run(digitize_pending, max(at, clock.now()))
