"""A large file of the submission form goes through the resumable upload (uploads.js): a progress bar, a dropped
request resumed from the server's offset, and the dossier submitted with the stored file."""

import hashlib

import pytest

from motcua.documents.models import StoredFile
from motcua.dossiers.models import Dossier

from .conftest import screenshot
from .test_dossier_journey_browser import PDF, fill_first_registration, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def big_scan(size: int) -> bytes:
    block = hashlib.sha256(b"scan").digest() * 2048
    data = block * (size // len(block))
    head = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] "
            b"/Count 0 >>\nendobj\n")
    image = b"3 0 obj\n<< /Subtype /Image /Filter /DCTDecode /Length %d >>\nstream\n" % len(data)
    return head + image + data + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def test_a_large_file_uploads_with_a_progress_bar_and_resumes(live_server, demo, page, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    large = tmp_path / "to-khai-scan.pdf"
    content = big_scan(12 * 1024 * 1024)  # over the 5 MiB threshold: two 8 MiB PATCHes
    large.write_bytes(content)
    small = tmp_path / "small.pdf"
    small.write_bytes(PDF)

    dropped = []

    def drop_the_first_patch(route, request):
        if request.method == "PATCH" and not dropped:
            dropped.append(request.headers.get("upload-offset"))
            route.abort("connectionreset")
        else:
            route.continue_()

    log_in(page, base, "citizen.demo")
    page.route("**/api/v1/uploads/*", drop_the_first_patch)
    page.goto(base + "/procedures/1.013133/submit/")
    fill_first_registration(page)
    page.set_input_files("[name='comp.to_khai']", str(large))
    progress = page.get_by_test_id("tus-upload")
    progress.locator("progress").wait_for()
    page.set_input_files("[name='comp.phieu_tu_khai_suc_khoe']", str(small))
    page.set_input_files("[name='comp.cccd']", str(small))
    page.locator(".tus-upload.done").wait_for(timeout=60_000)
    screenshot(page, "tus-upload-done")
    assert dropped == ["0"]  # the first PATCH was cut, and the upload went on from HEAD's offset
    assert page.locator("progress").evaluate("bar => bar.value === bar.max")
    stored = StoredFile.objects.get(sha256=hashlib.sha256(content).hexdigest())
    assert page.locator("input[type=hidden][name='keep.to_khai']").get_attribute("value") == str(stored.pk)
    assert page.locator("[name='comp.to_khai']").evaluate("input => input.files.length") == 0

    page.get_by_test_id("submit").click()
    page.wait_for_load_state()
    code = page.get_by_test_id("code").inner_text().strip()
    files = Dossier.objects.get(code=code).files.filter(component_code="to_khai")
    assert [f.file_id for f in files] == [stored.pk]
