"""Digitization of stored files: queue a file for OCR (a searchable PDF/A archive copy, its text, pages, thumbnail).

`enqueue` is what every source calls (reception of a dossier, desk scanning, bulk digitization of historical records);
the pipeline that processes the queue (`ocr.py`) runs as background tasks on the `ocr` queue (`tasks.py`), woken
when the transaction that queued files commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from motcua.core import clock

from .models import Digitization, DigitizationState, StoredFile

logger = logging.getLogger(__name__)

# What OCR can read: scanned PDFs and page images (other types are stored, never digitized).
DIGITIZABLE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png", "image/tiff"})


def digitizable(stored: StoredFile) -> bool:
    return stored.content_type in DIGITIZABLE_TYPES


def enqueue(stored: StoredFile) -> Digitization | None:
    """Queue `stored` for digitization once (a file already queued or done is left as it is); None when its type
    cannot be digitized."""
    return enqueue_many([stored]).get(stored.pk)


@transaction.atomic(savepoint=False)  # all or nothing, and no savepoint inside the caller's transaction
def enqueue_many(files: Iterable[StoredFile]) -> dict[Any, Digitization]:
    """Queue each digitizable file of `files` once, in one read and one insert whatever their number (a dossier's
    files at reception); the digitization record of each by file id, files that cannot be digitized left out.

    A file queued meanwhile by a concurrent transaction is skipped by the insert (ON CONFLICT DO NOTHING), then read:
    every file ends with one record, never an error."""
    wanted = {stored.pk: stored for stored in files if digitizable(stored)}
    if not wanted:
        return {}
    found = {d.file_id: d for d in Digitization.objects.filter(file_id__in=list(wanted))}
    now = clock.now()
    missing = [Digitization(file=stored, state=DigitizationState.QUEUED, queued_at=now, next_attempt_at=now)
               for pk, stored in wanted.items() if pk not in found]
    if missing:
        Digitization.objects.bulk_create(missing, ignore_conflicts=True)
        # The insert sets no ids when it may skip rows: read the records back so callers get saved ones.
        found.update({d.file_id: d for d in Digitization.objects.filter(file_id__in=[d.file_id for d in missing])})
        wake_workers_on_commit()
    for file_id, record in found.items():
        record.file = wanted[file_id]  # and so `wanted[file_id].digitization` is `record`, with no query
    return found


def _wake_workers() -> None:
    from .tasks import digitize_pending

    digitize_pending.enqueue()


def wake_workers_on_commit() -> None:
    """Enqueue the pipeline's task once per outermost transaction, however many files it queues; `robust`: the
    queued rows are committed whatever happens here (the next run, or `manage.py digitize`, processes them)."""
    connection = transaction.get_connection()
    pending = getattr(connection, "run_on_commit", None) or []
    if any(len(entry) > 1 and entry[1] is _wake_workers for entry in pending):
        return
    transaction.on_commit(_wake_workers, robust=True)
