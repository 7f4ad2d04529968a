"""Writes of the documents app: storing an upload (checked, content-addressed), opening a stored file.

The upload rules are those of `checks` (one module for every way a file comes in): each refusal is a 422 naming the
field `file` and the rule, and nothing is written when a rule fails.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from motcua.core import clock

from .checks import (  # noqa: F401 - re-exported: callers and tests know them from here
    CHUNK_SIZE,
    DEFAULT_MAX_UPLOAD_BYTES,
    DEFAULT_UPLOAD_TYPES,
    Inspection,
    allowed_types,
    checked_name,
    inspect_chunks,
    max_upload_bytes,
    sanitize_name,
    too_large,
    upload_types,
)
from .integrity import sha256_of
from .models import StoredFile, content_address

if TYPE_CHECKING:
    from motcua.identity.models import User


def inspect_upload(upload: UploadedFile, name: str, allowed: list[str]) -> Inspection:
    """Read the upload once, in chunks: SHA-256, size, sniffed type and every rule of `checks`; raise
    ValidationFailed on the first rule broken (reading stops there)."""
    limit = max_upload_bytes()
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise too_large(limit)
    return inspect_chunks(upload.chunks(CHUNK_SIZE), name, allowed, limit=limit, source=upload)


def _make_parent(storage: FileSystemStorage, path: Path) -> None:
    if storage.directory_permissions_mode is not None:
        old_umask = os.umask(0o777 & ~storage.directory_permissions_mode)
        try:
            path.parent.mkdir(mode=storage.directory_permissions_mode, parents=True, exist_ok=True)
        finally:
            os.umask(old_umask)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)


def _write_local(storage: FileSystemStorage, name: str, upload: UploadedFile, sha256: str) -> None:
    """Write to a temporary file beside the target, then rename it in place: a reader never sees half a blob, and two
    writers of the same content both succeed (the second rename replaces identical bytes)."""
    path = Path(storage.path(name))
    _make_parent(storage, path)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".part")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for chunk in upload.chunks(CHUNK_SIZE):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise RuntimeError("The upload changed between its check and its storage.")
        mode = storage.file_permissions_mode
        os.chmod(temporary, mode if mode is not None else 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _write_remote(storage: Storage, name: str, upload: UploadedFile) -> None:
    """Any other backend (S3: a PUT is atomic). A concurrent writer may have stored the same bytes meanwhile; a backend
    that then saves ours under another name gets that copy deleted."""
    upload.seek(0)
    try:
        saved = storage.save(name, upload)
    except Exception:
        if storage.exists(name):
            return
        raise
    if saved != name:
        storage.delete(saved)
        if not storage.exists(name):
            raise RuntimeError(f"The storage saved {name!r} as {saved!r}.")


def write_blob(name: str, upload: UploadedFile, sha256: str) -> None:
    """Store the upload's bytes at `name` unless they are there already."""
    storage = default_storage
    if storage.exists(name):
        return
    if isinstance(storage, FileSystemStorage):
        _write_local(storage, name, upload, sha256)
    else:
        _write_remote(storage, name, upload)


def move_blob(name: str, path: Path, sha256: str) -> None:
    """Put a checked file on disk (a finished resumable upload) at `name`, and remove `path` in every case.

    On the local folder this is a rename (no copy, no second read) when both are on one filesystem; otherwise the
    bytes are copied (locally through a temporary file, remotely with the backend's streamed upload)."""
    storage = default_storage
    try:
        if storage.exists(name):
            return  # identical content is stored already
        if isinstance(storage, FileSystemStorage):
            target = Path(storage.path(name))
            _make_parent(storage, target)
            mode = storage.file_permissions_mode
            os.chmod(path, mode if mode is not None else 0o644)
            try:
                os.replace(path, target)
                return
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
            with open(path, "rb") as handle:
                _write_local(storage, name, File(handle, name=path.name), sha256)
        else:
            with open(path, "rb") as handle:
                _write_remote(storage, name, File(handle, name=path.name))
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _record(user: User, inspection: Inspection, name: str, storage_name: str) -> StoredFile:
    with transaction.atomic():
        return StoredFile.objects.create(
            sha256=inspection.sha256, size=inspection.size, content_type=inspection.content_type,
            original_name=name, storage_name=storage_name, uploaded_by=user, created_at=clock.now(),
        )


def store_upload(user: User, upload: UploadedFile, *, accept: Iterable[str] | None = None) -> StoredFile:
    """Check and store an upload for `user`; a new StoredFile row per upload, one blob per distinct content.

    `accept` narrows the accepted types (settings.MOTCUA_UPLOAD_TYPES) to those of a procedure's component; None or
    empty leaves them as they are. Raises ValidationFailed (field `file`) and writes nothing when a rule fails.
    """
    name = checked_name(getattr(upload, "name", ""))
    inspection = inspect_upload(upload, name, allowed_types(accept))
    storage_name = content_address(inspection.sha256)
    # The blob first: a row never points at missing bytes. A blob left without a row (the insert failed) is harmless:
    # identical content will reuse it, and a sweep may remove blobs no row names.
    write_blob(storage_name, upload, inspection.sha256)
    return _record(user, inspection, name, storage_name)


def store_checked_file(user: User, path: Path, name: str, inspection: Inspection) -> StoredFile:
    """Store a file on disk that passed the checks (`inspection`) for `user`; `path` is moved away (see move_blob)."""
    storage_name = content_address(inspection.sha256)
    move_blob(storage_name, path, inspection.sha256)
    return _record(user, inspection, name, storage_name)


def store_generated(owner: User, content: bytes, name: str, content_type: str) -> StoredFile:
    """Store a document the system made (a signed result, a rendered slip) for `owner`, like an upload of theirs
    but without the upload checks: the content is ours, its type is known."""
    sha256 = hashlib.sha256(content).hexdigest()
    write_blob(content_address(sha256), ContentFile(content, name=name), sha256)
    return _generated_row(owner, sha256, len(content), name, content_type)


def copy_for(owner: User, stored: StoredFile, name: str) -> StoredFile:
    """A new row for `owner` naming the same stored bytes as `stored` (content-addressed: nothing is written)."""
    return _generated_row(owner, stored.sha256, stored.size, name, stored.content_type)


def _generated_row(owner: User, sha256: str, size: int, name: str, content_type: str) -> StoredFile:
    return StoredFile.objects.create(
        sha256=sha256, size=size, content_type=content_type, original_name=sanitize_name(name),
        storage_name=content_address(sha256), uploaded_by=owner, created_at=clock.now(),
    )


def store_path(owner: User, path: Path, name: str, content_type: str) -> StoredFile:
    """`store_generated` for a document the system made on disk (an OCR archive copy), read in chunks: large scans
    never sit in memory whole."""
    with path.open("rb") as handle:
        sha256, size = sha256_of(handle)
    with path.open("rb") as handle:
        write_blob(content_address(sha256), File(handle, name=name), sha256)
    return _generated_row(owner, sha256, size, name, content_type)


def open_file(stored: StoredFile) -> IO[bytes]:
    """The stored bytes, opened for reading (close it, or hand it to a FileResponse that will)."""
    return default_storage.open(stored.storage_name, "rb")
