"""The upload checks, in one place for every way a file comes in (`POST /api/v1/files`, the portal's form, tus).

A file is fed in chunks to an `Inspector` (SHA-256, size, sniffed type, PDF scan, all in one pass, never the whole file
in memory); `finish(source)` then applies the rules that need the file itself (image dimensions through Pillow, the
antivirus over a clamd socket). Each refusal is a `ValidationFailed` (422) naming the field `file` and the rule:

- `name`: nothing usable left of the file name once sanitized (folders, control and bidi characters removed);
- `empty`; `max_size` (over the limit given, counted while reading, never taken from the client);
- `archive`: ZIP, RAR, 7z, gzip, bzip2, xz, tar, zstd... (an archive may hold anything, and a bomb);
- `content_type`: the type sniffed from the bytes is not accepted; `extension_mismatch`: the name does not fit it;
- `image_pixels`: an image over MOTCUA_MAX_IMAGE_PIXELS (a decompression bomb: tiny file, huge bitmap);
- `truncated` (a PDF without `%%EOF` at its end) and `pdf_active_content` (JavaScript, launch actions, embedded files,
  or compressed objects that could not be checked);
- `virus`: the antivirus (clamd, when MOTCUA_CLAMD_SOCKET is set) found something. An antivirus that cannot be
  reached refuses the file too, with 503 `antivirus_unavailable`: nothing unchecked is stored.
"""

from __future__ import annotations

import hashlib
import posixpath
import socket
import struct
import unicodedata
import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO

import filetype
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import DomainError, FieldError, ValidationFailed, interpolated

from .pdfscan import PdfScanner

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DEFAULT_UPLOAD_TYPES = ("application/pdf", "image/jpeg", "image/png")
DEFAULT_MAX_IMAGE_PIXELS = 100_000_000  # a 10,000 x 10,000 scan; an A4 page at 600 dpi is ~35 million
# The extensions a name may end with for each sniffed type; other types fall back to filetype's own extension.
EXTENSIONS = {"application/pdf": (".pdf",), "image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",)}
# Archives and compressed streams, refused whatever the settings accept: they may hold anything (and bombs).
ARCHIVE_TYPES = frozenset({
    "application/zip", "application/x-rar-compressed", "application/vnd.rar", "application/x-7z-compressed",
    "application/gzip", "application/x-gzip", "application/x-bzip2", "application/x-xz", "application/x-tar",
    "application/zstd", "application/x-lzip", "application/x-compress", "application/x-unix-archive",
    "application/vnd.ms-cab-compressed", "application/x-brotli", "application/x-lzma",
})

CHUNK_SIZE = 64 * 1024  # what the small-file path reads at a time
FILE_CHUNK_SIZE = 4 * 1024 * 1024  # reading a file on disk (tus, a second pass)
SNIFF_BYTES = 8192  # what filetype reads
EOF_WINDOW = 1024  # %%EOF must be within the last 1024 bytes of a PDF
MAX_NAME_LENGTH = 255
CLAMD_CHUNK = 1024 * 1024
# hashlib releases the GIL while it hashes a large buffer: big chunks are hashed in a thread while the PDF scanner reads
# the same chunk, so the two costs overlap on a machine with a core to spare.
PARALLEL_HASH_BYTES = 1024 * 1024
_hashing = ThreadPoolExecutor(max_workers=4, thread_name_prefix="upload-hash")
CLAMD_TIMEOUT = 120


class AntivirusUnavailable(DomainError):
    status = 503
    code = "antivirus_unavailable"


def max_upload_bytes() -> int:
    return int(getattr(settings, "MOTCUA_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def max_image_pixels() -> int:
    return int(getattr(settings, "MOTCUA_MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS))


def upload_types() -> list[str]:
    """The types accepted anywhere (settings.MOTCUA_UPLOAD_TYPES); a component may only narrow them."""
    return list(getattr(settings, "MOTCUA_UPLOAD_TYPES", DEFAULT_UPLOAD_TYPES))


def allowed_types(accept: Iterable[str] | None) -> list[str]:
    """The accepted types narrowed by `accept`; None or empty means no narrowing (the catalog's "any default type")."""
    base = upload_types()
    wanted = set(accept or ())
    return [t for t in base if t in wanted] if wanted else base


def refuse(rule: str, message: str | Promise) -> ValidationFailed:
    return ValidationFailed(_("The file was not accepted."), [FieldError("file", rule, message)])


def limit_message(limit: int) -> Promise:
    return interpolated(_("The file is larger than the limit of %(limit)s."), limit=lambda: filesizeformat(limit))


def too_large(limit: int) -> ValidationFailed:
    return refuse("max_size", limit_message(limit))


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


def checked_name(name: str | None) -> str:
    """The sanitized name, or the `name` refusal when nothing usable remains."""
    clean = sanitize_name(name)
    if not clean:
        raise refuse("name", _("The file name is missing or has no usable characters."))
    return clean


@dataclass(frozen=True)
class Inspection:
    sha256: str
    size: int
    content_type: str


def _allowed_text(allowed: list[str]) -> str:
    return ", ".join(allowed) or "—"


def check_type(head: bytes, name: str, allowed: list[str]) -> str:
    """The type sniffed from the first bytes, if it is accepted and the name's extension fits it."""
    kind = filetype.guess(head)
    found = kind.mime if kind is not None else None
    if found in ARCHIVE_TYPES:
        raise refuse("archive", interpolated(
            _("Archives and compressed files (%(found)s) are not accepted: upload the documents themselves."),
            found=found))
    if found not in allowed:
        raise refuse("content_type", interpolated(
            _("This type of file is not accepted: its content is %(found)s; accepted: %(allowed)s."),
            found=found or _("an unknown type"), allowed=_allowed_text(allowed)))
    extensions = EXTENSIONS.get(found) or (f".{kind.extension}",)
    if posixpath.splitext(name)[1].lower() not in extensions:
        raise refuse("extension_mismatch", interpolated(
            _("The name's extension does not match the content (%(found)s): name the file with %(expected)s."),
            found=found, expected=" / ".join(extensions)))
    return found


class Inspector:
    """The checks that run while the bytes go by: `feed(chunk)` as they come (raises on the first rule broken: the
    size limit, the type once 8 KiB are known), then `finish(source)` with the whole file readable from `source`."""

    def __init__(self, name: str, allowed: list[str], *, limit: int) -> None:
        self.name = name
        self.allowed = allowed
        self.limit = limit
        self.size = 0
        self.content_type: str | None = None
        self._digest = hashlib.sha256()
        self._head = b""
        self._pending: list[bytes] = []
        self._tail = b""
        self._scanner: PdfScanner | None = None

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        if self.size > self.limit:
            raise too_large(self.limit)
        hashed = _hashing.submit(self._digest.update, chunk) if len(chunk) >= PARALLEL_HASH_BYTES else None
        if hashed is None:
            self._digest.update(chunk)
        try:
            self._tail = (self._tail + chunk)[-EOF_WINDOW:] if len(chunk) < EOF_WINDOW else chunk[-EOF_WINDOW:]
            if self.content_type is None:
                self._head += chunk[: max(0, SNIFF_BYTES - len(self._head))]
                self._pending.append(chunk)
                if len(self._head) >= SNIFF_BYTES:
                    self._know_type()
            elif self._scanner is not None:
                self._scanner.feed(chunk)
        finally:
            if hashed is not None:
                hashed.result()  # the digest sees the chunks in order, and one at a time

    def _know_type(self) -> None:
        self.content_type = check_type(self._head, self.name, self.allowed)
        if self.content_type == "application/pdf":
            # Inflating object streams is bounded (they hold only dictionaries and arrays, small next to the page
            # content, fonts and images of a file): 16 MiB, or twice the upload limit when that is more.
            self._scanner = PdfScanner(inflate_budget=max(16 << 20, 2 * self.limit))
            for chunk in self._pending:
                self._scanner.feed(chunk)
        self._pending = []

    def finish(self, source: IO[bytes] | None = None) -> Inspection:
        """Apply the end-of-file rules; `source` (seekable, the same bytes) is needed for images and the antivirus."""
        if self.size == 0:
            raise refuse("empty", _("The file is empty."))
        if self.content_type is None:
            self._know_type()
        assert self.content_type is not None
        if self._scanner is not None:
            self._finish_pdf(self._scanner)
        if self.content_type.startswith("image/") and source is not None:
            check_image_pixels(source)
        if source is not None:
            scan_for_viruses(source)
        return Inspection(sha256=self._digest.hexdigest(), size=self.size, content_type=self.content_type)

    def _finish_pdf(self, scanner: PdfScanner) -> None:
        scanner.close()
        if b"%%EOF" not in self._tail:
            raise refuse("truncated", _(
                "The PDF is incomplete (no end-of-file marker): it was probably cut off; save or scan it again."))
        if scanner.found:
            raise refuse("pdf_active_content", interpolated(
                _("The PDF contains active content (%(names)s), which is not accepted: print or export it again as a "
                  "plain PDF, without scripts, actions or attached files."),
                names=", ".join(f"/{n}" for n in sorted(scanner.found))))
        if scanner.unverifiable:
            raise refuse("pdf_active_content", _(
                "The PDF could not be checked for active content (encrypted or damaged compressed objects): print or "
                "export it again as a plain PDF."))


def inspect_chunks(chunks: Iterable[bytes], name: str, allowed: list[str], *, limit: int,
                   source: IO[bytes] | None = None) -> Inspection:
    """Every check over `chunks` (one pass), then the end-of-file rules with `source`."""
    inspector = Inspector(name, allowed, limit=limit)
    for chunk in chunks:
        inspector.feed(chunk)
    return inspector.finish(source)


def read_chunks(source: IO[bytes], size: int = FILE_CHUNK_SIZE) -> Iterable[bytes]:
    """`source` from its start, `size` bytes at a time."""
    source.seek(0)
    while chunk := source.read(size):
        yield chunk


def check_image_pixels(source: IO[bytes]) -> None:
    """Refuse an image whose bitmap would be larger than MOTCUA_MAX_IMAGE_PIXELS (Pillow reads the header only).
    An image Pillow cannot parse is left to the other rules (the sniffed type already matched)."""
    from PIL import Image

    limit = max_image_pixels()
    source.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        width, height = limit + 1, 1
    except Exception:  # noqa: BLE001 - any parser failure: not a bomb we can measure
        return
    finally:
        source.seek(0)
    if width * height > limit:
        raise refuse("image_pixels", interpolated(
            _("The image is too large once opened (%(pixels)s pixels; the limit is %(limit)s): scan it at a lower "
              "resolution."), pixels=f"{width}×{height}", limit=limit))


def scan_for_viruses(source: IO[bytes]) -> None:
    """Stream the file to clamd (`zINSTREAM`) when MOTCUA_CLAMD_SOCKET names its unix socket; refuse what it finds."""
    path = getattr(settings, "MOTCUA_CLAMD_SOCKET", "")
    if not path:
        return
    unavailable = AntivirusUnavailable(_("The antivirus could not check the file: try again later."), [
        FieldError("file", "antivirus_unavailable", _("The antivirus service is not answering."))])
    source.seek(0)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(CLAMD_TIMEOUT)
            connection.connect(path)
            connection.sendall(b"zINSTREAM\0")
            while chunk := source.read(CLAMD_CHUNK):
                connection.sendall(struct.pack("!L", len(chunk)) + chunk)
            connection.sendall(struct.pack("!L", 0))
            answer = b""
            while not answer.endswith(b"\0") and (part := connection.recv(4096)):
                answer += part
    except OSError as exc:
        raise unavailable from exc
    finally:
        source.seek(0)
    text = answer.rstrip(b"\0").decode("utf-8", "replace").strip()
    if text.endswith("FOUND"):
        signature = text.removeprefix("stream:").removesuffix("FOUND").strip()
        raise refuse("virus", interpolated(_("The antivirus found %(signature)s in the file."), signature=signature))
    if not text.endswith("OK"):
        raise unavailable
