"""Resumable uploads (the tus 1.0 protocol's state; the HTTP side is in tus_api.py): create, append, finish,
terminate, expire.

The bytes go to a partial file on disk (`<tus dir>/<id>.part`), appended in large chunks, never held in memory. While
they are written they are fed to the upload checks (`checks.Inspector`: SHA-256, sniffed type, PDF scan), so a wrong
type is refused within the first 8 KiB and the last PATCH needs no second read of the file. The inspector lives in
the memory of the process that wrote the bytes so far; when a PATCH lands on another process (several workers, a
restart) the inspector is dropped and the file is checked in one pass over the disk when it is complete.

A PATCH holds an exclusive lock (flock) on the partial file: a second PATCH of the same upload at the same time gets
423. A finished upload is checked like `POST /api/v1/files`, then renamed into the content-addressed storage (copied
when the storage is remote) and becomes a StoredFile; a refused one is deleted (row and partial file).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import Conflict, DomainError, FieldError, NotFound, ValidationFailed

from . import checks, queries, services
from .models import ResumableUpload

if TYPE_CHECKING:
    from motcua.identity.models import User

DEFAULT_TUS_MAX_BYTES = 2 * 1024 * 1024 * 1024
WRITE_CHUNK = 4 * 1024 * 1024  # bytes read from the request and written at a time
_INSPECTORS_KEPT = 64


class UploadTooLarge(DomainError):
    status = 413
    code = "too_large"


class UploadLocked(DomainError):
    status = 423
    code = "locked"


class TooManyUploads(DomainError):
    status = 429
    code = "too_many_uploads"


def max_bytes() -> int:
    return int(getattr(settings, "MOTCUA_TUS_MAX_BYTES", DEFAULT_TUS_MAX_BYTES))


def partial_dir() -> Path:
    configured = getattr(settings, "MOTCUA_TUS_DIR", "")
    return Path(configured) if configured else Path(settings.MEDIA_ROOT) / ".partial"


def partial_path(upload: ResumableUpload) -> Path:
    return partial_dir() / f"{upload.pk}.part"


def _expiry() -> timedelta:
    return timedelta(hours=int(getattr(settings, "MOTCUA_TUS_EXPIRY_HOURS", 24)))


class _Inspectors:
    """The inspectors of the uploads this process is receiving, by id, with the offset they have seen (LRU)."""

    def __init__(self) -> None:
        self._items: OrderedDict[UUID, tuple[int, checks.Inspector]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, upload_id: UUID, offset: int) -> checks.Inspector | None:
        with self._lock:
            seen, inspector = self._items.pop(upload_id, (-1, None))
        return inspector if seen == offset else None

    def keep(self, upload_id: UUID, offset: int, inspector: checks.Inspector) -> None:
        with self._lock:
            self._items[upload_id] = (offset, inspector)
            while len(self._items) > _INSPECTORS_KEPT:
                self._items.popitem(last=False)

    def drop(self, upload_id: UUID) -> None:
        with self._lock:
            self._items.pop(upload_id, None)


_inspectors = _Inspectors()


def pending_for(user: User) -> int:
    return ResumableUpload.objects.filter(owner=user, file__isnull=True, expires_at__gt=clock.now()).count()


def create(user: User, *, length: int, name: str | None, accept: list[str] | None = None) -> ResumableUpload:
    """A new, empty upload of `length` bytes named `name` (sanitized) for `user`; its partial file is created."""
    limit = max_bytes()
    if length > limit:
        raise UploadTooLarge(_("The file was not accepted."), [
            FieldError("Upload-Length", "max_size", checks.limit_message(limit))])
    clean = checks.checked_name(name)
    cap = int(getattr(settings, "MOTCUA_TUS_MAX_PENDING", 10))
    if pending_for(user) >= cap:
        message = checks.interpolated(_("You have %(count)s unfinished uploads: finish or cancel one first."),
                                      count=cap)
        raise TooManyUploads(_("Too many unfinished uploads."), [FieldError("uploads", "max_pending", message)])
    now = clock.now()
    upload = ResumableUpload(owner=user, length=length, name=clean, accept=list(accept or []), created_at=now,
                             expires_at=now + _expiry())
    path = partial_path(upload)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    os.close(fd)
    try:
        upload.save(force_insert=True)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return upload


def get(user: User, upload_id: Any) -> ResumableUpload:
    """The user's upload with this id, not expired (unless finished); 404 otherwise (also for another user's)."""
    upload = queries.upload_for(user, upload_id)
    if upload is None or (not upload.complete and upload.expires_at <= clock.now()):
        raise NotFound(_("No upload of yours has this id."),
                       [FieldError("upload_id", "exists", _("No upload of yours has this id (or it expired)."))])
    return upload


def _discard(upload: ResumableUpload) -> None:
    _inspectors.drop(upload.pk)
    partial_path(upload).unlink(missing_ok=True)
    ResumableUpload.objects.filter(pk=upload.pk).delete()


def terminate(user: User, upload_id: Any) -> None:
    """Cancel an upload: its partial file and row go (a finished upload's stored file stays)."""
    _discard(get(user, upload_id))


def _locked(handle: Any) -> None:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            raise UploadLocked(_("This upload is receiving data in another request."), [
                FieldError("Upload-Offset", "locked", _("Wait for the other request to end, then resume."))]) from exc
        raise


def _offset_conflict(expected: int) -> Conflict:
    message = checks.interpolated(_("The upload has %(offset)s bytes: resume from there (ask with HEAD)."),
                                  offset=expected)
    return Conflict(_("The offset does not match the upload."), [FieldError("Upload-Offset", "offset", message)])


def append(user: User, upload_id: Any, offset: int, length: int, read: Callable[[int], bytes]) -> ResumableUpload:
    """Append up to `length` bytes read from `read(n)` at `offset` (which must be the upload's offset: 409).

    A body that ends early (the connection dropped) keeps what arrived: the client resumes from the new offset. A
    rule broken on the way, or by the complete file, deletes the upload and raises. When the last byte arrives the
    upload is checked and stored: the returned upload then has its `file`."""
    upload = get(user, upload_id)
    if upload.complete or offset != upload.offset:
        raise _offset_conflict(upload.offset)
    if offset + length > upload.length:
        raise UploadTooLarge(_("The data goes past the end of the upload."), [FieldError(
            "Content-Length", "upload_length", _("The data sent goes past the Upload-Length given at creation."))])
    path = partial_path(upload)
    try:
        handle = open(path, "r+b", buffering=0)  # noqa: SIM115 - closed below, after the lock's work
    except FileNotFoundError:
        ResumableUpload.objects.filter(pk=upload.pk).delete()
        raise NotFound(_("No upload of yours has this id."), [
            FieldError("upload_id", "exists", _("No upload of yours has this id (or it expired)."))]) from None
    with handle:
        _locked(handle)
        upload.refresh_from_db(fields=["offset", "file"])  # another request may have written before we got the lock
        if upload.complete or offset != upload.offset:
            raise _offset_conflict(upload.offset)
        handle.truncate(offset)  # bytes of a request that died between its write and its offset update
        handle.seek(offset)
        inspector = _inspectors.take(upload.pk, offset)
        if inspector is None and offset == 0:
            inspector = checks.Inspector(upload.name, checks.allowed_types(upload.accept), limit=upload.length)
        written = 0
        try:
            while written < length:
                try:
                    chunk = read(min(WRITE_CHUNK, length - written))
                except OSError:
                    break  # the client went away: keep what arrived
                if not chunk:
                    break
                handle.write(chunk)
                written += len(chunk)
                if inspector is not None:
                    inspector.feed(chunk)
        except ValidationFailed:
            _discard(upload)
            raise
        os.fsync(handle.fileno())
        now = clock.now()
        upload.offset = offset + written
        upload.expires_at = now + _expiry()
        ResumableUpload.objects.filter(pk=upload.pk).update(offset=upload.offset, expires_at=upload.expires_at)
        if upload.offset < upload.length:
            if inspector is not None:
                _inspectors.keep(upload.pk, upload.offset, inspector)
            return upload
        return _finish(upload, path, inspector)


def _finish(upload: ResumableUpload, path: Path, inspector: checks.Inspector | None) -> ResumableUpload:
    """The last byte arrived: the checks (those not done while writing), then the stored file."""
    try:
        with open(path, "rb") as source:
            if inspector is None:  # the bytes were written by other processes: one pass over the disk
                inspector = checks.Inspector(upload.name, checks.allowed_types(upload.accept), limit=upload.length)
                for chunk in checks.read_chunks(source):
                    inspector.feed(chunk)
            inspection = inspector.finish(source)
    except DomainError:
        _discard(upload)
        raise
    with transaction.atomic():
        stored = services.store_checked_file(upload.owner, path, upload.name, inspection)
        upload.file = stored
        ResumableUpload.objects.filter(pk=upload.pk).update(file=stored)
    return upload


def clean_expired() -> int:
    """Delete the uploads past their expiry (unfinished: with their partial files; finished: the row only, the
    stored file stays) and partial files no upload names. Returns the number of uploads deleted."""
    now = clock.now()
    expired = list(ResumableUpload.objects.filter(expires_at__lte=now))
    for upload in expired:
        if not upload.complete:
            partial_path(upload).unlink(missing_ok=True)
        ResumableUpload.objects.filter(pk=upload.pk).delete()
    folder = partial_dir()
    if folder.is_dir():
        known = {f"{pk}.part" for pk in ResumableUpload.objects.filter(file__isnull=True).values_list("pk", flat=True)}
        for entry in folder.iterdir():
            if entry.name.endswith(".part") and entry.name not in known:
                with contextlib.suppress(FileNotFoundError):
                    # A partial file made a moment ago may not have its row yet: leave the young ones.
                    if now.timestamp() - entry.stat().st_mtime > 3600:
                        entry.unlink()
    return len(expired)
