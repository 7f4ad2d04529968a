"""Digitization of stored files: queue a file for OCR (a searchable PDF/A archive copy, its text, pages, thumbnail).

`enqueue` is what every source calls (reception of a dossier, desk scanning, bulk digitization of historical records);
the pipeline that processes the queue (`ocr.py`) runs as background tasks on the `ocr` queue (`tasks.py`), woken
when the transaction that queued files commits.
"""

from __future__ import annotations

import logging

from django.db import transaction

from motcua.core import clock

from .models import Digitization, DigitizationState, StoredFile

logger = logging.getLogger(__name__)

# What OCR can read: scanned PDFs and page images (other types are stored, never digitized).
DIGITIZABLE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png", "image/tiff"})


def digitizable(stored: StoredFile) -> bool:
    return stored.content_type in DIGITIZABLE_TYPES


@transaction.atomic
def enqueue(stored: StoredFile) -> Digitization | None:
    """Queue `stored` for digitization once (a file already queued or done is left as it is); None when its type
    cannot be digitized."""
    if not digitizable(stored):
        return None
    now = clock.now()
    digitization, created = Digitization.objects.get_or_create(
        file=stored, defaults={"state": DigitizationState.QUEUED, "queued_at": now, "next_attempt_at": now})
    if created:
        wake_workers_on_commit()
    return digitization


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
