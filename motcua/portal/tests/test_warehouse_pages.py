"""The applicant's "My documents" page and the wizard's offer to reuse a warehouse document instead of an upload."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from motcua.documents.models import DocumentAccess, WarehouseDocument
from motcua.dossiers.models import Dossier, DossierFile
from motcua.dossiers.tests.conftest import MINIMAL_PDF
from motcua.identity.models import User

ABSENCE_URL = "/procedures/1.001733/submit/"


def login(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def certificate(api, frozen_clock) -> WarehouseDocument:
    from motcua.results.tests.test_results import approve

    _code, answer = approve(api, frozen_clock, {"note": "Đồng ý", "valid_until": "2031-11-22"})
    assert answer.status_code == 200, answer.content
    return WarehouseDocument.objects.get(result__isnull=False)


def absence_body(**extra: object) -> dict:
    body = {"idempotency_key": "token-absence-0123456789", "form.ho_ten": "Nguyễn Văn An",
            "form.so_cccd": "001209012345", "form.noi_den": "Đà Nẵng", "form.ly_do": "Công tác",
            "form.tu_ngay": "2026-12-01",
            "comp.to_khai_tam_vang": SimpleUploadedFile("tam-vang.pdf", MINIMAL_PDF, content_type="application/pdf")}
    body.update(extra)
    return body


def test_the_wizard_offers_my_valid_document_and_reuses_it_when_ticked(certificate):
    client = login("citizen.demo")
    page = client.get(ABSENCE_URL).content.decode()
    assert 'data-testid="reuse-giay_chung_nhan_nvqs"' in page
    assert f'name="reuse.giay_chung_nhan_nvqs" value="{certificate.pk}"' in page
    assert 'data-testid="reuse-to_khai_tam_vang"' not in page  # a component taking no document type

    response = client.post(ABSENCE_URL, absence_body(**{"reuse.giay_chung_nhan_nvqs": str(certificate.pk)}))
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get(procedure__code="1.001733")
    reused = DossierFile.objects.get(dossier=dossier, component_code="giay_chung_nhan_nvqs")
    assert reused.reused_from_id == certificate.pk and reused.file_id == certificate.file_id
    assert DocumentAccess.objects.get(document=certificate).dossier_code == dossier.code


def test_without_a_tick_or_an_upload_the_required_component_is_named(certificate):
    response = login("citizen.demo").post(ABSENCE_URL, absence_body())
    assert response.status_code == 422
    assert 'id="id_components-giay_chung_nhan_nvqs-error"' in response.content.decode()
    assert not Dossier.objects.filter(procedure__code="1.001733").exists()


def test_my_documents_lists_the_warehouse_and_its_access_log(certificate):
    client = login("citizen.demo")
    assert client.get(f"/my/documents/{certificate.pk}/file").status_code == 200
    page = client.get("/my/documents/")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="nav-my-documents"' in html
    assert certificate.title in html and certificate.number in html and "22/11/2031" in html
    assert 'data-testid="access-log"' in html and "Nguyễn Văn An" in html


def test_another_applicant_sees_none_of_my_documents(certificate):
    client = login("citizen2.demo")
    assert client.get(f"/my/documents/{certificate.pk}/file").status_code == 404
    html = client.get("/my/documents/").content.decode()
    assert certificate.number not in html and 'data-testid="no-documents"' in html
    assert str(certificate.pk) not in client.get(ABSENCE_URL).content.decode()
    assert not DocumentAccess.objects.exists()
