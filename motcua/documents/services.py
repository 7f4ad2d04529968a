"""Writes of the documents app: storing an upload (checked, content-addressed), opening a stored file.

Upload rules, each refused with 422 naming the field `file` and the rule: `name` (nothing usable left of the name),
`empty`, `max_size` (settings.MOTCUA_MAX_UPLOAD_BYTES), `content_type` (the type sniffed from the bytes is not
accepted), `extension_mismatch` (the name's extension does not fit the sniffed type), and for PDFs `truncated` (no
`%%EOF` near the end) and `pdf_active_content` (scripts, launch actions, embedded files, or compressed objects that
could not be checked). Nothing is written when a rule fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import FieldError, ValidationFailed, interpolated

from .models import StoredFile, content_address
from .pdfscan import PdfScanner

if TYPE_CHECKING:
    from motcua.identity.models import User

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DEFAULT_UPLOAD_TYPES = ("application/pdf", "image/jpeg", "image/png")
# The extensions a name may end with for each sniffed type; other types fall back to filetype's own extension.
EXTENSIONS = {"application/pdf": (".pdf",), "image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",)}

CHUNK_SIZE = 64 * 1024
SNIFF_BYTES = 8192  # what filetype reads
EOF_WINDOW = 1024  # %%EOF must be within the last 1024 bytes of a PDF
MAX_NAME_LENGTH = 255


def max_upload_bytes() -> int:
    return int(getattr(settings, "MOTCUA_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def upload_types() -> list[str]:
    """The types accepted anywhere (settings.MOTCUA_UPLOAD_TYPES); a component may only narrow them."""
    return list(getattr(settings, "MOTCUA_UPLOAD_TYPES", DEFAULT_UPLOAD_TYPES))


def allowed_types(accept: Iterable[str] | None) -> list[str]:
    """The accepted types narrowed by `accept`; None or empty means no narrowing (the catalog's "any default type")."""
    base = upload_types()
    wanted = set(accept or ())
    return [t for t in base if t in wanted] if wanted else base


def _refuse(rule: str, message: str | Promise) -> ValidationFailed:
    return ValidationFailed(_("The file was not accepted."), [FieldError("file", rule, message)])


def sanitize_name(name: str | None) -> str:
    """The base name only (no folders, either slash), NFC, without control or bidi-format characters, leading dots or
    surrounding spaces, at most 255 characters (the extension kept); "" when nothing usable remains."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
    text = text.strip().lstrip(".").strip().rstrip(". ")
    if len(text) > MAX_NAME_LENGTH:
        stem, ext = posixpath.splitext(text)
        ext = ext if len(ext) <= 16 else ""
        text = stem[: MAX_NAME_LENGTH - len(ext)].rstrip(". ") + ext
    return text


@dataclass(frozen=True)
class Inspection:
    sha256: str
    size: int
    content_type: str


def _allowed_text(allowed: list[str]) -> str:
    return ", ".join(allowed) or "—"


def _check_type(head: bytes, name: str, allowed: list[str]) -> str:
    kind = filetype.guess(head)
    found = kind.mime if kind is not None else None
    if found not in allowed:
        raise _refuse("content_type", interpolated(
            _("This type of file is not accepted: its content is %(found)s; accepted: %(allowed)s."),
            found=found or _("an unknown type"), allowed=_allowed_text(allowed)))
    extensions = EXTENSIONS.get(found) or (f".{kind.extension}",)
    if posixpath.splitext(name)[1].lower() not in extensions:
        raise _refuse("extension_mismatch", interpolated(
            _("The name's extension does not match the content (%(found)s): name the file with %(expected)s."),
            found=found, expected=" / ".join(extensions)))
    return found


def inspect_upload(upload: UploadedFile, name: str, allowed: list[str]) -> Inspection:
    """Read the upload once, in chunks: SHA-256, size, sniffed type and the rules; raise ValidationFailed on the first
    rule broken (reading stops there)."""
    limit = max_upload_bytes()
    too_large = _refuse("max_size", interpolated(
        _("The file is larger than the limit of %(limit)s."), limit=lambda: filesizeformat(limit)))
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise too_large
    digest, size = hashlib.sha256(), 0
    head, pending, tail = b"", [], b""
    content_type: str | None = None
    scanner: PdfScanner | None = None
    for chunk in upload.chunks(CHUNK_SIZE):
        if not chunk:
            continue
        size += len(chunk)
        if size > limit:
            raise too_large
        digest.update(chunk)
        tail = (tail + chunk)[-EOF_WINDOW:] if len(chunk) < EOF_WINDOW else chunk[-EOF_WINDOW:]
        if content_type is None:
            head += chunk[: max(0, SNIFF_BYTES - len(head))]
            pending.append(chunk)
            if len(head) < SNIFF_BYTES:
                continue
            content_type = _check_type(head, name, allowed)
            scanner = _pdf_scanner(content_type, limit, pending)
            pending = []
        elif scanner is not None:
            scanner.feed(chunk)
    if size == 0:
        raise _refuse("empty", _("The file is empty."))
    if content_type is None:
        content_type = _check_type(head, name, allowed)
        scanner = _pdf_scanner(content_type, limit, pending)
    if scanner is not None:
        scanner.close()
        if b"%%EOF" not in tail:
            raise _refuse("truncated", _(
                "The PDF is incomplete (no end-of-file marker): it was probably cut off; save or scan it again."))
        if scanner.found:
            raise _refuse("pdf_active_content", interpolated(
                _("The PDF contains active content (%(names)s), which is not accepted: print or export it again as a "
                  "plain PDF, without scripts, actions or attached files."),
                names=", ".join(f"/{n}" for n in sorted(scanner.found))))
        if scanner.unverifiable:
            raise _refuse("pdf_active_content", _(
                "The PDF could not be checked for active content (encrypted or damaged compressed objects): print or "
                "export it again as a plain PDF."))
    return Inspection(sha256=digest.hexdigest(), size=size, content_type=content_type)


def _pdf_scanner(content_type: str, limit: int, read: list[bytes]) -> PdfScanner | None:
    """A scanner for a PDF, already fed the chunks read before the type was known; None for other types."""
    if content_type != "application/pdf":
        return None
    # Inflating object streams is bounded (they hold only dictionaries and arrays, small next to the page content,
    # fonts and images of a file): 16 MiB, or twice the upload limit when that is more.
    scanner = PdfScanner(inflate_budget=max(16 << 20, 2 * limit))
    for chunk in read:
        scanner.feed(chunk)
    return scanner


def _write_local(storage: FileSystemStorage, name: str, upload: UploadedFile, sha256: str) -> None:
    """Write to a temporary file beside the target, then rename it in place: a reader never sees half a blob, and two
    writers of the same content both succeed (the second rename replaces identical bytes)."""
    path = Path(storage.path(name))
    if storage.directory_permissions_mode is not None:
        old_umask = os.umask(0o777 & ~storage.directory_permissions_mode)
        try:
            path.parent.mkdir(mode=storage.directory_permissions_mode, parents=True, exist_ok=True)
        finally:
            os.umask(old_umask)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
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


def store_upload(user: User, upload: UploadedFile, *, accept: Iterable[str] | None = None) -> StoredFile:
    """Check and store an upload for `user`; a new StoredFile row per upload, one blob per distinct content.

    `accept` narrows the accepted types (settings.MOTCUA_UPLOAD_TYPES) to those of a procedure's component; None or
    empty leaves them as they are. Raises ValidationFailed (field `file`) and writes nothing when a rule fails.
    """
    name = sanitize_name(getattr(upload, "name", ""))
    if not name:
        raise _refuse("name", _("The file name is missing or has no usable characters."))
    inspection = inspect_upload(upload, name, allowed_types(accept))
    storage_name = content_address(inspection.sha256)
    # The blob first: a row never points at missing bytes. A blob left without a row (the insert failed) is harmless:
    # identical content will reuse it, and a sweep may remove blobs no row names.
    write_blob(storage_name, upload, inspection.sha256)
    with transaction.atomic():
        return StoredFile.objects.create(
            sha256=inspection.sha256, size=inspection.size, content_type=inspection.content_type,
            original_name=name, storage_name=storage_name, uploaded_by=user, created_at=clock.now(),
        )


def store_generated(owner: User, content: bytes, name: str, content_type: str) -> StoredFile:
    """Store a document the system made (a signed result, a rendered slip) for `owner`, like an upload of theirs
    but without the upload checks: the content is ours, its type is known."""
    sha256 = hashlib.sha256(content).hexdigest()
    storage_name = content_address(sha256)
    write_blob(storage_name, ContentFile(content, name=name), sha256)
    return StoredFile.objects.create(
        sha256=sha256, size=len(content), content_type=content_type, original_name=sanitize_name(name),
        storage_name=storage_name, uploaded_by=owner, created_at=clock.now(),
    )


def open_file(stored: StoredFile) -> IO[bytes]:
    """The stored bytes, opened for reading (close it, or hand it to a FileResponse that will)."""
    return default_storage.open(stored.storage_name, "rb")
