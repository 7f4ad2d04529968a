"""The digitization pipeline: real OCR (OCRmyPDF + Tesseract vie+eng) of a generated scan, states, retries with
backoff, the lease of a claim, the `digitize` command and the task that wakes on commit."""

from __future__ import annotations

import io
from datetime import timedelta

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django_tasks import task_backends
from PIL import Image

from motcua.documents import digitization, ocr, search, services
from motcua.documents.models import Digitization, DigitizationState, StoredFile

from .conftest import make_png, make_scan

# A made-up name and place: these words exist nowhere else in the code or the demo data.
SCAN_LINES = ["Giấy xác nhận cho bà Quảng Thị Diễm Khuê", "thôn Đồng Lưỡng, xã Hoằng Lộc"]
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default", "ocr"]}}


def upload(user, name: str, content: bytes) -> StoredFile:
    return services.store_upload(user, SimpleUploadedFile(name, content))


@pytest.mark.django_db
def test_a_scanned_image_becomes_a_searchable_pdfa_copy_and_the_original_is_kept(user, media):
    content = make_scan(SCAN_LINES)
    original = upload(user, "giay-xac-nhan.png", content)
    queued = digitization.enqueue(original)
    assert queued.state == DigitizationState.QUEUED

    assert ocr.run_pending() == 1

    done = Digitization.objects.get(pk=queued.pk)
    assert done.state == DigitizationState.DONE, done.reason
    assert (done.attempts, done.pages, done.pdfa, done.reason) == (1, 1, "2B", "")
    assert "Quảng Thị Diễm Khuê" in done.text and "Hoằng Lộc" in done.text
    # The archive is a new PDF/A file of the same owner; the original's bytes are untouched.
    archive = done.archive
    assert archive.pk != original.pk and archive.uploaded_by == user
    assert (archive.content_type, archive.original_name) == ("application/pdf", "giay-xac-nhan.ocr.pdf")
    with services.open_file(archive) as handle, pikepdf.open(io.BytesIO(handle.read())) as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"
    with services.open_file(original) as handle:
        assert handle.read() == content
    with services.open_file(done.thumbnail) as handle:
        thumbnail = Image.open(io.BytesIO(handle.read()))
        assert (thumbnail.format, thumbnail.width) == ("PNG", 320)
    # Found by its words without diacritics, in any case; not by words it does not hold.
    matching = set(StoredFile.objects.filter(pk__in=search.file_ids_matching("quang thi DIEM khue"))
                   .values_list("pk", flat=True))
    assert matching == {original.pk}
    assert not StoredFile.objects.filter(pk__in=search.file_ids_matching("dong luong khue ngoc")).exists()


@pytest.mark.django_db
def test_failures_are_retried_with_exponential_backoff_then_failed(user, media, frozen_clock, settings,
                                                                   monkeypatch):
    settings.MOTCUA_OCR_MAX_ATTEMPTS = 3
    settings.MOTCUA_OCR_RETRY_BASE_SECONDS = 60
    stored = upload(user, "scan.png", make_png())
    digitization.enqueue(stored)

    def broken(*args, **kwargs):
        raise RuntimeError("tesseract crashed")

    monkeypatch.setattr(ocr, "convert", broken)
    assert ocr.run_pending() == 1
    first = Digitization.objects.get(file=stored)
    assert (first.state, first.attempts) == (DigitizationState.QUEUED, 1)
    assert "tesseract crashed" in first.reason
    assert first.next_attempt_at == frozen_clock.now() + timedelta(seconds=60)
    assert ocr.run_pending() == 0  # not due yet

    frozen_clock.advance(timedelta(seconds=60))
    assert ocr.run_pending() == 1
    second = Digitization.objects.get(file=stored)
    assert second.attempts == 2
    assert second.next_attempt_at == frozen_clock.now() + timedelta(seconds=120)

    frozen_clock.advance(timedelta(seconds=120))
    assert ocr.run_pending() == 1
    failed = Digitization.objects.get(file=stored)
    assert (failed.state, failed.attempts) == (DigitizationState.FAILED, 3)
    assert "tesseract crashed" in failed.reason
    frozen_clock.advance(timedelta(days=1))
    assert ocr.run_pending() == 0

    # An operator queues it again, with a fresh series of attempts.
    monkeypatch.undo()
    assert ocr.retry(Digitization.objects.filter(state=DigitizationState.FAILED)) == 1
    assert Digitization.objects.get(file=stored).attempts == 0


@pytest.mark.django_db
def test_a_file_ocr_can_never_read_fails_at_once(user, media):
    damaged = services.store_generated(user, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "broken.png", "image/png")
    digitization.enqueue(damaged)
    assert ocr.run_pending() == 1
    failed = Digitization.objects.get(file=damaged)
    assert (failed.state, failed.attempts) == (DigitizationState.FAILED, 1)
    assert "cannot be read" in failed.reason
    assert failed.archive is None and failed.text == ""


@pytest.mark.django_db
def test_a_claim_whose_worker_died_is_taken_again_after_the_lease(user, media, frozen_clock, settings):
    settings.MOTCUA_OCR_LEASE_SECONDS = 600
    settings.MOTCUA_OCR_MAX_ATTEMPTS = 2
    stored = upload(user, "scan.png", make_png())
    digitization.enqueue(stored)
    claimed = ocr.claim()  # ... and the worker is killed before it finishes
    assert (claimed.state, claimed.attempts) == (DigitizationState.PROCESSING, 1)
    assert ocr.claim() is None  # leased

    frozen_clock.advance(timedelta(seconds=600))
    again = ocr.claim()
    assert (again.pk, again.attempts) == (claimed.pk, 2)
    # A file that kills its worker every time runs out of attempts.
    frozen_clock.advance(timedelta(seconds=600))
    last = ocr.process(ocr.claim())
    assert (last.state, last.attempts) == (DigitizationState.FAILED, 3)
    assert "none finished" in last.reason


@pytest.mark.django_db
def test_enqueue_wakes_the_ocr_worker_once_per_transaction(user, media, settings, django_capture_on_commit_callbacks):
    settings.TASKS = DUMMY
    backend = task_backends["default"]
    backend.clear()
    files = [upload(user, f"page-{n}.png", make_png(f"page {n}")) for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for stored in files:
            digitization.enqueue(stored)
        digitization.enqueue(files[0])  # queued once only
    assert [r.task.name for r in backend.results] == ["digitize_pending"]
    assert backend.results[0].task.queue_name == "ocr"
    assert Digitization.objects.filter(state=DigitizationState.QUEUED).count() == 3


@pytest.mark.django_db
def test_types_ocr_cannot_read_are_not_queued(user, media):
    stored = services.store_generated(user, b"a,b\n1,2\n", "table.csv", "text/csv")
    assert digitization.enqueue(stored) is None
    assert not Digitization.objects.exists()


@pytest.mark.django_db
def test_digitize_command_processes_the_queue_once(user, media):
    stored = upload(user, "scan.jpg", make_scan(["Biên bản số 12"], image_format="JPEG"))
    digitization.enqueue(stored)
    out = io.StringIO()
    call_command("digitize", "--once", stdout=out)
    done = Digitization.objects.get(file=stored)
    assert done.state == DigitizationState.DONE, done.reason
    assert "1 file(s) processed" in out.getvalue()
    assert "done: 1" in out.getvalue()


@pytest.mark.django_db
def test_search_ignores_diacritics_and_case_and_needs_every_word(user, media):
    first = upload(user, "a.png", make_png("a"))
    second = upload(user, "b.png", make_png("b"))
    for stored, text in ((first, "Quyết định của Đặng Văn Lâm"), (second, "Đăng ký lần đầu")):
        # As the pipeline leaves a done file: its text on the row (what PostgreSQL searches), then indexed (SQLite).
        Digitization.objects.create(file=stored, state=DigitizationState.DONE, text=text)
        search.index(stored.pk, text)

    def found(query: str) -> set:
        return set(StoredFile.objects.filter(pk__in=search.file_ids_matching(query)).values_list("pk", flat=True))

    assert found("dang van lam") == {first.pk}
    assert found("ĐẶNG VĂN") == {first.pk}
    assert found("dang") == {first.pk, second.pk}  # "Đặng" and "Đăng" are both "dang"
    assert found("dang ky") == {second.pk}
    assert found("lam dau") == set()
    Digitization.objects.filter(file=first).update(text="")
    search.index(first.pk, "")  # forgotten
    assert found("lam") == set()
    assert search.terms("  Đặng, văn!! Đặng ") == ["dang", "van"]


@pytest.mark.django_db
def test_operators_see_the_queue_in_the_admin_and_queue_failed_files_again(admin_client, user, media):
    damaged = services.store_generated(user, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "broken.png", "image/png")
    failed = digitization.enqueue(damaged)
    ocr.run_pending()
    page = admin_client.get("/admin/documents/digitization/")
    assert page.status_code == 200 and "broken.png" in page.content.decode()
    response = admin_client.post("/admin/documents/digitization/", {
        "action": "retry_failed", "_selected_action": [failed.pk]})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (DigitizationState.QUEUED, 0)


@pytest.mark.django_db
def test_a_multipage_tiff_gives_one_archive_with_every_page(user, media):
    frames = [Image.open(io.BytesIO(make_scan([f"Trang số {n}"]))) for n in (1, 2)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:], dpi=(300, 300),
                   compression="tiff_lzw")
    stored = services.store_generated(user, buffer.getvalue(), "ho-so.tiff", "image/tiff")
    digitization.enqueue(stored)
    ocr.run_pending()
    done = Digitization.objects.get(file=stored)
    assert (done.state, done.pages) == (DigitizationState.DONE, 2), done.reason
    pages = done.text.split("\f")
    assert "1" in pages[0] and "2" in pages[1]


@pytest.mark.django_db
def test_a_signed_pdf_is_not_rewritten_its_own_text_is_recorded(user, media, monkeypatch, tmp_path):
    from ocrmypdf.exceptions import DigitalSignatureError

    source = tmp_path / "scan.png"
    source.write_bytes(make_scan(["Quyết định đã ký số"]))
    ocr.image_to_pdf(source, tmp_path / "signed.pdf")
    stored = services.store_generated(user, (tmp_path / "signed.pdf").read_bytes(), "signed.pdf", "application/pdf")

    def refuses(*args, **kwargs):
        raise DigitalSignatureError("Input PDF has a digital signature.")

    monkeypatch.setattr("ocrmypdf.ocr", refuses)
    digitization.enqueue(stored)
    ocr.run_pending()
    done = Digitization.objects.get(file=stored)
    assert done.state == DigitizationState.DONE, done.reason
    assert done.archive_id == stored.pk and done.pdfa == "" and done.pages == 1
    assert done.thumbnail is not None


@pytest.mark.django_db
def test_the_same_scan_uploaded_again_reuses_the_first_ocr(user, other_user, media, monkeypatch):
    content = make_scan(["Bản sao giấy khai sinh"])
    first = upload(user, "khai-sinh.png", content)
    digitization.enqueue(first)
    ocr.run_pending()
    again = upload(other_user, "ban-sao.png", content)
    digitization.enqueue(again)
    monkeypatch.setattr(ocr, "convert", lambda *args: pytest.fail("the same bytes were OCR'd twice"))
    ocr.run_pending()
    done, reused = Digitization.objects.get(file=first), Digitization.objects.get(file=again)
    assert reused.state == DigitizationState.DONE
    assert (reused.text, reused.pages, reused.pdfa) == (done.text, done.pages, done.pdfa)
    assert reused.archive.uploaded_by == other_user and reused.archive.sha256 == done.archive.sha256
    assert reused.archive.original_name == "ban-sao.ocr.pdf"
    assert reused.thumbnail.uploaded_by == other_user
    assert set(StoredFile.objects.filter(pk__in=search.file_ids_matching("giay khai sinh"))
               .values_list("pk", flat=True)) == {first.pk, again.pk}
