"""Backup and restore of one motcua instance: the database as a portable dump (Django's serializer, so a backup of the
embedded SQLite restores into PostgreSQL and back) plus a manifest of every stored file with its SHA-256, and, unless
the files live in an object store with its own versioning, a copy of the files.

A backup directory holds:
  manifest.json       format, time, database vendor, the dump's SHA-256 and row counts, every blob (name, sha256, size)
  database.jsonx.gz   `dumpdata` of every app (content types by natural key), read in one snapshot
  files/<name>        the blobs (content-addressed names), when the backup includes files

Restoring needs an empty, migrated instance; it loads the dump, copies back the blobs the storage lacks, and checks
every blob's SHA-256 against the manifest.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction

from motcua.core import clock

from .checks import FILE_CHUNK_SIZE
from .integrity import sha256_of
from .models import StoredFile
from .services import write_blob

FORMAT = "motcua.backup/1"
DUMP = "database.jsonx.gz"  # the jsonx format keeps timestamps to the microsecond
# Rebuilt by `migrate` on the target (and keyed by natural keys in the dump); sessions are not worth restoring.
EXCLUDED = ["contenttypes", "auth.permission", "sessions"]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


@dataclass
class Report:
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    files_copied: int = 0
    problems: list[str] = field(default_factory=list)


def _file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return sha256_of(handle)[0]


def _blobs() -> list[dict[str, Any]]:
    rows = StoredFile.objects.order_by("storage_name").values_list("storage_name", "sha256", "size").distinct()
    return [{"name": name, "sha256": sha, "size": size} for name, sha, size in rows]


def backup(dest: Path, *, include_files: bool = True) -> Report:
    """Write a backup of the database and the stored files into the new directory `dest`."""
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: a backup goes into a new directory.")
    dest.mkdir(parents=True, exist_ok=True)
    report = Report()
    # Every table read from one snapshot. PostgreSQL takes the isolation level only as a transaction's first
    # statement: inside a caller's transaction (a savepoint here) that transaction's own level applies.
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with gzip.open(dest / DUMP, "wt", encoding="utf-8") as out:
            call_command("dumpdata", exclude=EXCLUDED, natural_foreign=True, format="jsonx", stdout=out, verbosity=0)
        blobs = _blobs()
    with gzip.open(dest / DUMP, "rt", encoding="utf-8") as dump:
        report.rows = dict(Counter(row["model"] for row in json.load(dump)))
    report.files = len(blobs)
    if include_files:
        for blob in blobs:
            target = dest / "files" / blob["name"]
            target.parent.mkdir(parents=True, exist_ok=True)
            if not default_storage.exists(blob["name"]):
                report.problems.append(f"{blob['name']}: missing from the storage")
                continue
            with default_storage.open(blob["name"], "rb") as source, target.open("wb") as copy:
                while chunk := source.read(FILE_CHUNK_SIZE):
                    copy.write(chunk)
            if _file_sha256(target) != blob["sha256"]:
                report.problems.append(f"{blob['name']}: its content does not match its SHA-256 (corrupt)")
            report.files_copied += 1
    manifest = {
        "format": FORMAT, "created_at": clock.now().isoformat(), "vendor": connection.vendor,
        "database": {"file": DUMP, "sha256": _file_sha256(dest / DUMP), "rows": report.rows},
        "files_included": include_files, "files": blobs, "problems": report.problems,
    }
    (dest / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return report


def _instance_is_empty() -> bool:
    user_model = apps.get_model("identity", "User")
    return not user_model.objects.exists() and not StoredFile.objects.exists()


def restore(src: Path) -> Report:
    """Restore the backup in `src` into this (empty, migrated) instance; verify every file against the manifest."""
    try:
        manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{src}/manifest.json cannot be read: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src} is not a {FORMAT} backup (format {manifest.get('format')!r}).")
    if _file_sha256(src / DUMP) != manifest["database"]["sha256"]:
        raise BackupError(f"{src}/{DUMP} does not match the SHA-256 in the manifest: the backup is damaged.")
    if not _instance_is_empty():
        raise BackupError("This instance already holds accounts or files: restore into an empty, migrated one.")
    report = Report(rows=manifest["database"]["rows"], files=len(manifest["files"]))
    with transaction.atomic():
        call_command("loaddata", str(src / DUMP), verbosity=0)
    for blob in manifest["files"]:
        name = blob["name"]
        if not default_storage.exists(name):
            copy = src / "files" / name
            if not copy.exists():
                report.problems.append(f"{name}: not in the storage and not in the backup")
                continue
            with copy.open("rb") as handle:
                write_blob(name, File(handle, name=Path(name).name), blob["sha256"])
            report.files_copied += 1
        with default_storage.open(name, "rb") as handle:
            if sha256_of(handle)[0] != blob["sha256"]:
                report.problems.append(f"{name}: restored content does not match its SHA-256")
    return report
