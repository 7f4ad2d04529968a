"""Digitization in the back office: the workspace shows each file's OCR state with its archive and thumbnail, the
one-stop officer scans a paper dossier at the desk, and the search box finds a dossier by words of its scans."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.documents import ocr
from motcua.documents.models import Digitization
from motcua.documents.tests.conftest import make_scan
from motcua.dossiers.models import DigitizedComponent
from motcua.portal.tests.test_dossier_pages import login, submit_as

pytestmark = pytest.mark.django_db

# Made-up words that only the OCR of the scan below can hold.
SCAN = ["Học bạ của em Lưu Khánh Huyền Vỹ", "trường làng Pò Xoỏng"]


@pytest.fixture
def submitted(demo, settings, tmp_path, frozen_clock):
    settings.MEDIA_ROOT = tmp_path / "media"
    return submit_as(login("citizen.demo"))


def workspace(code: str) -> str:
    return f"/backoffice/dossiers/{code}/"


def test_the_workspace_shows_the_ocr_state_of_each_file(submitted):
    onestop = login("onestop.demo")
    first = submitted.files.first()
    badge = f'data-testid="ocr-{first.file_id}" data-state='
    assert badge + '"queued"' in onestop.get(workspace(submitted.code)).content.decode()
    ocr.run_pending()  # the sample PDFs have no page: OCR cannot read them
    html = onestop.get(workspace(submitted.code)).content.decode()
    assert badge + '"failed"' in html and "no pages" in html


def test_the_onestop_officer_scans_at_the_desk_and_finds_the_dossier_by_its_words(submitted):
    onestop, handler = login("onestop.demo"), login("handler.demo")
    assert 'data-testid="desk-scanning"' in onestop.get(workspace(submitted.code)).content.decode()
    assert 'data-testid="desk-scanning"' not in handler.get(workspace(submitted.code)).content.decode()

    response = onestop.post(f"/backoffice/dossiers/{submitted.code}/digitize/", {
        "scan-van_bang": [SimpleUploadedFile("hoc-ba.png", make_scan(SCAN))], "digitized": ["van_bang", "to_khai"]})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(DigitizedComponent.objects.values_list("component_code", flat=True)) == {"van_bang", "to_khai"}
    scanned = submitted.files.get(component_code="van_bang")
    assert scanned.file.uploaded_by.username == "onestop.demo"
    assert Digitization.objects.get(file=scanned.file).state == "queued"
    html = onestop.get(workspace(submitted.code)).content.decode()
    assert 'data-testid="digitized-van_bang"' in html and 'data-testid="digitized-cccd"' not in html
    assert "van_bang (1)" in html  # the history event's facts: pages scanned per component

    ocr.run_pending()
    html = onestop.get(workspace(submitted.code)).content.decode()
    url = f"/api/v1/dossiers/{submitted.code}/files/{scanned.file_id}"
    assert f'href="{url}/archive"' in html and f'src="{url}/thumbnail"' in html
    assert f'data-testid="pages-{scanned.file_id}">' in html
    assert onestop.get(f"{url}/thumbnail").status_code == 200
    found = onestop.get("/backoffice/search/", {"q": "luu khanh huyen vy"}).content.decode()
    assert submitted.code in found
    assert submitted.code not in onestop.get("/backoffice/search/", {"q": "luu khanh huyen lan"}).content.decode()

    refused = handler.post(f"/backoffice/dossiers/{submitted.code}/digitize/", {"digitized": ["cccd"]})
    assert refused.status_code == 403


def test_desk_scanning_errors_are_listed_above_the_form(submitted):
    onestop = login("onestop.demo")
    response = onestop.post(f"/backoffice/dossiers/{submitted.code}/digitize/", {})
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()
    assert not DigitizedComponent.objects.exists()
