"""Background work of dossiers: bulk digitization batches started from the back office (django-tasks; the database
backend's `db_worker` runs them). A batch stopped half-way is resumed by enqueuing it again."""

from __future__ import annotations

from django_tasks import task

from . import bulk
from .models import BulkBatch


@task()
def run_bulk_batch(batch_id: int) -> int:
    """Do the rows of the batch not done yet; returns how many rows are done in all."""
    batch = BulkBatch.objects.filter(pk=batch_id, finished_at__isnull=True).first()
    if batch is None:
        return 0
    return bulk.run_batch(batch).rows_done
