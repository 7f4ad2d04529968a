"""Digitization of stored files: queue a file for OCR (a searchable PDF/A archive copy, its text, pages, thumbnail).

`enqueue` is what every source calls (reception of a dossier, desk scanning, bulk digitization of historical records);
the pipeline that processes the queue runs as background tasks.
"""

from __future__ import annotations

from django.db import transaction

from motcua.core import clock

from .models import Digitization, DigitizationState, StoredFile

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
    return digitization
