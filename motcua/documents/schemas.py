"""API schemas of documents that other apps' routers reuse (a dossier's files show their digitization too)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema


class DigitizationOut(Schema):
    state: Literal["queued", "processing", "done", "failed"] = Field(
        ..., description="queued (waiting, or waiting for a retry when `attempts` > 0), processing, done, failed.")
    state_label: str
    attempts: int = Field(..., description="Attempts made so far.")
    pages: int | None = Field(..., description="Pages, once done.")
    reason: str = Field(..., description="Why the last attempt failed (kept while a retry waits).")
    archive: UUID | None = Field(..., description="The searchable PDF/A copy (the original is kept as it was): "
                                                  "download it with `.../archive`.")
    thumbnail: UUID | None = Field(..., description="A PNG of page 1: `.../thumbnail`.")
    pdfa: str = Field(..., description='PDF/A part and conformance of the archive ("2B"); "" for a plain PDF.')
    queued_at: datetime
    finished_at: datetime | None
    retry_at: datetime | None = Field(..., description="When the next attempt is due, while a retry waits.")
