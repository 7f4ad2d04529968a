"""The digitization pipeline: what processes the queue that `digitization.enqueue` fills.

For each due `Digitization` a worker: claims it (state `processing`, one more attempt, leased for
`MOTCUA_OCR_LEASE_SECONDS`), copies the original to a private temporary folder, turns an image (JPEG, PNG, TIFF) into a
PDF with img2pdf, runs OCRmyPDF (Tesseract `MOTCUA_OCR_LANGUAGES`, `vie+eng`) into a searchable archive copy — PDF/A-2b
made without Ghostscript (`pdfa_backend="internal"`), a plain searchable PDF when that conversion cannot approve the
file — then stores the copy and a PNG thumbnail of page 1 (pypdfium2) as new StoredFiles owned by the original's
uploader, with the text (pypdfium2, every page) and the page count, and indexes the text for search. The original is
never changed.

A failure is recorded with its reason and retried after `MOTCUA_OCR_RETRY_BASE_SECONDS` × 2^(n−1) (capped by
`MOTCUA_OCR_RETRY_MAX_SECONDS`) until `MOTCUA_OCR_MAX_ATTEMPTS` attempts, then the state is `failed`; a file OCR can
never read (encrypted, damaged, unsupported image) fails at once. A worker killed mid-way leaves its claim
`processing` with an expired lease: the next run claims it again (the attempt counted at the claim, so a file that
kills its worker every time still runs out of attempts). PDFs with a digital signature are not rewritten (that
would break the signature): their own text and pages are recorded, the original serves as the archive.

A file with the same bytes as one already digitized reuses that result (no second OCR).

Claims use `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so any number of `ocr` workers run side by side.
"""

from __future__ import annotations

import io
import logging
import shutil
import tempfile
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Min, Q, QuerySet

from motcua.core import clock
from motcua.core.background import exponential_backoff

from . import search, services
from .models import Digitization, DigitizationState, StoredFile

logger = logging.getLogger(__name__)

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/tiff"})
MAX_REASON_CHARS = 4000


class PermanentFailure(Exception):  # noqa: N818 - reads as what the pipeline reports
    """The file can never be digitized (damaged, encrypted, unsupported): failed at once, not retried."""


# --- settings -------------------------------------------------------------------------------------------------------

def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def languages() -> list[str]:
    return [part for part in str(_setting("MOTCUA_OCR_LANGUAGES", "vie+eng")).split("+") if part]


def max_attempts() -> int:
    return int(_setting("MOTCUA_OCR_MAX_ATTEMPTS", 5))


def backoff(attempts: int) -> timedelta:
    return exponential_backoff(attempts, float(_setting("MOTCUA_OCR_RETRY_BASE_SECONDS", 60)),
                               float(_setting("MOTCUA_OCR_RETRY_MAX_SECONDS", 3600)))


def lease() -> timedelta:
    return timedelta(seconds=float(_setting("MOTCUA_OCR_LEASE_SECONDS", 1800)))


def ocr_options() -> dict[str, Any]:
    """The OCRmyPDF options of the pipeline (bench/ocr.py runs the CLI with the same ones)."""
    return {
        "language": languages(),
        "output_type": "auto",  # PDF/A when the conversion is approved, else a plain PDF (never fails for it)
        "pdfa_backend": str(_setting("MOTCUA_OCR_PDFA_BACKEND", "internal")),
        "mode": "skip",  # pages that already carry text are kept as they are; the others are OCR'd
        "jobs": int(_setting("MOTCUA_OCR_JOBS", 1)),
        "tesseract_timeout": float(_setting("MOTCUA_OCR_PAGE_TIMEOUT", 180)),
        "progress_bar": False,
    }


# --- the conversion (no database) -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Converted:
    archive: Path | None  # None: the original is its own archive (a signed PDF)
    text: str
    pages: int
    pdfa: str
    thumbnail: bytes


def image_to_pdf(source: Path, target: Path) -> None:
    """A PDF of the image's pages (every frame of a TIFF), at the image's resolution (300 dpi when it states none);
    transparency is flattened onto white first (img2pdf refuses alpha channels)."""
    import img2pdf
    from PIL import Image

    options: dict[str, Any] = {"rotation": img2pdf.Rotation.ifvalid}
    try:
        with Image.open(source) as probe:
            if not probe.info.get("dpi"):
                options["layout_fun"] = img2pdf.get_fixed_dpi_layout_fun((300, 300))
        try:
            data = img2pdf.convert(str(source), **options)
        except img2pdf.AlphaChannelError:
            with Image.open(source) as image:
                flat = Image.new("RGB", image.size, "white")
                flat.paste(image, mask=image.convert("RGBA").getchannel("A"))
                buffer = io.BytesIO()
                flat.save(buffer, format="PNG", dpi=image.info.get("dpi", (300, 300)))
            data = img2pdf.convert(buffer.getvalue(), **options)
    except (img2pdf.ImageOpenError, OSError, ValueError) as exc:
        raise PermanentFailure(f"The image cannot be read: {exc}") from exc
    target.write_bytes(data)


def read_pdf(path: Path, thumbnail_width: int) -> tuple[str, int, bytes]:
    """The text of every page (pages separated by form feeds), the page count and a PNG of page 1."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        texts = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_bounded().strip())
            textpage.close()
            page.close()
        first = document[0]
        scale = thumbnail_width / max(first.get_width(), 1)
        bitmap = first.render(scale=scale)
        image = bitmap.to_pil()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        first.close()
        return "\n\f".join(texts), len(document), buffer.getvalue()
    finally:
        document.close()


def pdfa_part(path: Path) -> str:
    """The PDF/A part and conformance claimed by the file's metadata ("2B"), or "" for a plain PDF."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        return str(pdf.open_metadata().pdfa_status or "")


def convert(source: Path, content_type: str, workdir: Path) -> Converted:
    """OCR `source` (an image or a PDF) inside `workdir` into a searchable PDF/A (or PDF) with its text, pages and
    thumbnail. Raises PermanentFailure for files that can never be read; other exceptions may pass on a retry."""
    import ocrmypdf
    from ocrmypdf import exceptions as ocr_errors

    width = int(_setting("MOTCUA_OCR_THUMBNAIL_WIDTH", 320))
    pdf = source
    if content_type in IMAGE_TYPES:
        pdf = workdir / "pages.pdf"
        image_to_pdf(source, pdf)
    archive = workdir / "archive.pdf"
    try:
        ocrmypdf.ocr(pdf, archive, **ocr_options())
    except ocr_errors.DigitalSignatureError:
        text, pages, thumbnail = read_pdf(source, width)
        return Converted(archive=None, text=text, pages=pages, pdfa="", thumbnail=thumbnail)
    except (ocr_errors.InputFileError, ocr_errors.EncryptedPdfError, ocr_errors.UnsupportedImageFormatError,
            ocr_errors.DpiError) as exc:
        detail = str(exc).strip() or "the file is damaged, has no pages, or is not a PDF"
        raise PermanentFailure(f"The file cannot be read ({type(exc).__name__}): {detail}") from exc
    text, pages, thumbnail = read_pdf(archive, width)
    return Converted(archive=archive, text=text, pages=pages, pdfa=pdfa_part(archive), thumbnail=thumbnail)


# --- the queue ------------------------------------------------------------------------------------------------------

def _due() -> Q:
    """Queued and due, or processing with an expired lease (its worker died)."""
    now = clock.now()
    return Q(state__in=[DigitizationState.QUEUED, DigitizationState.PROCESSING], next_attempt_at__lte=now)


def claim() -> Digitization | None:
    """The next due digitization, leased to this worker; None when nothing is due."""
    now = clock.now()
    with transaction.atomic():
        pk = (Digitization.objects.select_for_update(skip_locked=True).filter(_due())
              .order_by("next_attempt_at", "id").values_list("pk", flat=True).first())
        if pk is None:
            return None
        Digitization.objects.filter(pk=pk).update(
            state=DigitizationState.PROCESSING, attempts=F("attempts") + 1, started_at=now,
            next_attempt_at=now + lease())
    return Digitization.objects.select_related("file", "file__uploaded_by").get(pk=pk)


def _copy_original(stored: StoredFile, target: Path) -> None:
    with services.open_file(stored) as source, target.open("wb") as out:
        shutil.copyfileobj(source, out, services.CHUNK_SIZE)


def _stem(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else name


def _reason(exc: BaseException) -> str:
    if isinstance(exc, PermanentFailure):
        return str(exc)[:MAX_REASON_CHARS]
    text = "".join(traceback.format_exception_only(exc)).strip()
    return text if len(text) <= MAX_REASON_CHARS else text[:MAX_REASON_CHARS] + "…"


def process(digitization: Digitization) -> Digitization:
    """Digitize one claimed file and record the outcome (done, queued for a retry, or failed)."""
    stored = digitization.file
    if digitization.attempts > max_attempts():
        return _fail(digitization, PermanentFailure(
            f"{digitization.attempts - 1} attempts were made and none finished (was the worker stopped while "
            "processing this file?); not trying again."))
    same = _done_with_same_content(digitization)
    if same is not None:
        return _copy_result(digitization, same)
    try:
        with tempfile.TemporaryDirectory(prefix="motcua-ocr-") as folder:
            workdir = Path(folder)
            original = workdir / "original"
            _copy_original(stored, original)
            result = convert(original, stored.content_type, workdir)
            owner = stored.uploaded_by
            stem = _stem(stored.original_name)
            archive = (services.store_path(owner, result.archive, f"{stem}.ocr.pdf", "application/pdf")
                       if result.archive is not None else stored)
            thumbnail = services.store_generated(owner, result.thumbnail, f"{stem}.thumbnail.png", "image/png")
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row, never propagated
        return _fail(digitization, exc)
    return _done(digitization, result, archive, thumbnail)


def _done_with_same_content(digitization: Digitization) -> Digitization | None:
    """A finished digitization of another file with the same bytes (the same scan uploaded again), if any."""
    return (Digitization.objects.select_related("file", "archive", "thumbnail")
            .filter(file__sha256=digitization.file.sha256, state=DigitizationState.DONE)
            .exclude(pk=digitization.pk).order_by("finished_at").first())


def _copy_result(digitization: Digitization, same: Digitization) -> Digitization:
    """Reuse the OCR of identical bytes: the archive and thumbnail as new rows of this file's owner (the blobs are
    shared by content), the text, pages and conformance as they are."""
    stored, owner = digitization.file, digitization.file.uploaded_by
    stem = _stem(stored.original_name)
    if same.archive_id == same.file_id or same.archive is None:
        archive = stored  # a signed original is its own archive
    else:
        archive = services.copy_for(owner, same.archive, f"{stem}.ocr.pdf")
    thumbnail = services.copy_for(owner, same.thumbnail, f"{stem}.thumbnail.png")
    result = Converted(archive=None, text=same.text, pages=same.pages or 0, pdfa=same.pdfa, thumbnail=b"")
    return _done(digitization, result, archive, thumbnail)


@transaction.atomic
def _done(digitization: Digitization, result: Converted, archive: StoredFile, thumbnail: StoredFile) -> Digitization:
    changes = {"state": DigitizationState.DONE, "finished_at": clock.now(), "reason": "", "archive": archive,
               "thumbnail": thumbnail, "text": result.text, "pages": result.pages, "pdfa": result.pdfa}
    # Only while this worker's claim holds (not re-claimed after a lease ran out, nor reset by an operator).
    updated = Digitization.objects.filter(pk=digitization.pk, state=DigitizationState.PROCESSING,
                                          attempts=digitization.attempts).update(**changes)
    if updated:
        search.index(digitization.file_id, result.text)
        logger.info("Digitized %s: %d page(s), PDF/A %s.", digitization.file_id, result.pages, result.pdfa or "no")
    digitization.refresh_from_db()
    return digitization


def _fail(digitization: Digitization, exc: BaseException) -> Digitization:
    now = clock.now()
    attempts = digitization.attempts
    changes: dict[str, Any] = {"reason": _reason(exc), "finished_at": now}
    if isinstance(exc, PermanentFailure) or attempts >= max_attempts():
        changes.update(state=DigitizationState.FAILED, next_attempt_at=now)
        logger.error("Digitization of %s failed for good after %d attempt(s): %s", digitization.file_id, attempts,
                     changes["reason"])
    else:
        changes.update(state=DigitizationState.QUEUED, next_attempt_at=now + backoff(attempts))
        logger.warning("Digitization of %s failed (attempt %d), retry at %s: %s", digitization.file_id, attempts,
                       changes["next_attempt_at"], changes["reason"])
    Digitization.objects.filter(pk=digitization.pk, state=DigitizationState.PROCESSING,
                                attempts=attempts).update(**changes)
    digitization.refresh_from_db()
    return digitization


def run_pending(limit: int | None = None) -> int:
    """Claim and digitize due files one by one until none is due (or `limit` were processed); returns the count."""
    done = 0
    while limit is None or done < limit:
        digitization = claim()
        if digitization is None:
            break
        process(digitization)
        done += 1
    return done


def retry(digitizations: Iterable[Digitization] | QuerySet[Digitization]) -> int:
    """Queue failed digitizations again, due now, with a fresh series of attempts. Returns how many."""
    ids = [d.pk for d in digitizations] if not isinstance(digitizations, QuerySet) else list(
        digitizations.values_list("pk", flat=True))
    with transaction.atomic():
        count = Digitization.objects.filter(pk__in=ids, state=DigitizationState.FAILED).update(
            state=DigitizationState.QUEUED, attempts=0, next_attempt_at=clock.now())
        if count:
            from .digitization import wake_workers_on_commit

            wake_workers_on_commit()
    return count


def next_due_at() -> datetime | None:
    """When the earliest queued (or leased) digitization is due; None when none is waiting."""
    return (Digitization.objects.filter(state__in=[DigitizationState.QUEUED, DigitizationState.PROCESSING])
            .aggregate(at=Min("next_attempt_at"))["at"])


def backlog() -> dict[str, int]:
    """How many digitizations are in each state."""
    counts = {state: 0 for state in DigitizationState.values}
    for row in Digitization.objects.order_by().values("state").annotate(n=Count("pk")):
        counts[row["state"]] = row["n"]
    return counts
