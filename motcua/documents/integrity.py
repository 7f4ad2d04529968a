"""The integrity of the stored bytes: every blob a StoredFile names is re-read and re-hashed (`manage.py
verify_files`). Blobs are content-addressed, so a blob whose SHA-256 is not its name was changed or damaged."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from django.core.files.storage import default_storage

from .checks import FILE_CHUNK_SIZE
from .models import StoredFile


def sha256_of(handle: IO[bytes]) -> tuple[str, int]:
    """The SHA-256 (hex) and size of what `handle` holds from where it is, read in chunks (never whole in memory)."""
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(FILE_CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


@dataclass(frozen=True)
class BlobProblem:
    storage_name: str
    sha256: str
    problem: str  # "missing" or "corrupt"
    rows: int  # StoredFile rows that name this blob
    found: str = ""  # the SHA-256 of what is there, for a corrupt blob


@dataclass
class Verification:
    checked: int = 0
    bytes_read: int = 0


def verify_blobs(report: Verification | None = None) -> Iterator[BlobProblem]:
    """Each distinct blob named by a StoredFile, re-hashed in chunks; yields the missing and corrupt ones."""
    report = report if report is not None else Verification()
    blobs = (StoredFile.objects.order_by("storage_name").values_list("storage_name", "sha256").distinct())
    counts: dict[str, int] = {}
    for name in StoredFile.objects.values_list("storage_name", flat=True).iterator():
        counts[name] = counts.get(name, 0) + 1
    for storage_name, sha256 in blobs.iterator():
        report.checked += 1
        try:
            handle = default_storage.open(storage_name, "rb")
        except (FileNotFoundError, OSError):
            yield BlobProblem(storage_name, sha256, "missing", counts.get(storage_name, 0))
            continue
        with handle:
            found, size = sha256_of(handle)
        report.bytes_read += size
        if found != sha256:
            yield BlobProblem(storage_name, sha256, "corrupt", counts.get(storage_name, 0), found)
