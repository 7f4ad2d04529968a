"""The back office's digitization pages: a bulk batch uploaded as ZIP + CSV, run in the background, its progress and
rejected rows; the inspection report as a table and as CSV; who may see them."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from motcua.documents.tests.conftest import make_pdf
from motcua.dossiers.importing import import_file
from motcua.dossiers.models import BulkBatch, DossierFile
from motcua.dossiers.tests.test_bulk import PAPER, SAMPLE
from motcua.identity.models import User

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def login(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def history(demo, settings, tmp_path, frozen_clock):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MOTCUA_BULK_DIR = tmp_path / "bulk"
    settings.TASKS = IMMEDIATE
    assert not import_file(SAMPLE).failed_batches


def scans_zip() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("to-khai.pdf", make_pdf(content=b"BT (To khai 2023) Tj ET"))
    return SimpleUploadedFile("scans.zip", buffer.getvalue(), content_type="application/zip")


def test_a_batch_uploaded_in_the_back_office_runs_and_shows_its_rejected_rows(history,
                                                                             django_capture_on_commit_callbacks):
    manifest = f"file,dossier,component\nto-khai.pdf,{PAPER},to_khai\nmissing.pdf,{PAPER},to_khai\n".encode()
    client = login("onestop.demo")
    assert 'data-testid="link-bulk"' in client.get("/backoffice/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/backoffice/digitization/", {
            "unit": "000.05.12.H26", "scans": scans_zip(),
            "manifest": SimpleUploadedFile("manifest.csv", manifest, content_type="text/csv")})
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = BulkBatch.objects.get()
    assert (batch.rows_total, batch.rows_done, batch.rows_rejected, batch.finished) == (2, 2, 1, True)
    assert DossierFile.objects.filter(dossier__code=PAPER, bulk_row__batch=batch).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert '<progress max="2" value="2">' in page
    assert "missing.pdf" in page and "file_missing" in page
    listing = client.get("/backoffice/digitization/").content.decode()
    assert "manifest.csv" in listing and "2/2" in listing


def test_a_bad_upload_is_refused_naming_the_field(history):
    client = login("onestop.demo")
    response = client.post("/backoffice/digitization/", {
        "unit": "000.05.12.H26", "scans": SimpleUploadedFile("scans.zip", b"not a zip"),
        "manifest": SimpleUploadedFile("manifest.csv", b"file,dossier\nx.pdf,y\n")})
    assert response.status_code == 422
    assert 'id="id_scans-error"' in response.content.decode()
    response = client.post("/backoffice/digitization/", {
        "unit": "000.05.12.H26", "scans": scans_zip(), "manifest": SimpleUploadedFile("m.csv", b"fichier\nx\n")})
    assert response.status_code == 422 and not BulkBatch.objects.exists()


def test_bulk_digitization_is_for_onestop_and_unit_administrators(history):
    assert login("handler.demo").get("/backoffice/digitization/").status_code == 403
    assert login("citizen.demo").get("/backoffice/digitization/").status_code == 403


def test_the_report_page_shows_the_table_and_downloads_csv(history):
    client = login("admin.demo")
    page = client.get("/backoffice/reports/digitization/", {"from": "2023-01-01", "to": "2023-12-31"})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="report-table"' in html
    assert 'data-testid="report-row-000.05.12.H26"' in html
    response = client.get("/backoffice/reports/digitization/",
                          {"unit": "000.05.12.H26", "from": "2023-01-01", "to": "2023-12-31", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["unit", "name", "level", "dossiers"]
    (commune,) = rows[1:]
    # The 2023 dossiers received at the commune: two approved on paper (results not digitized), one refused.
    assert (commune[0], commune[3], commune[7], commune[8]) == ("000.05.12.H26", "3", "2", "0")


def test_the_report_page_is_for_leaders_and_inspection(history):
    assert login("handler.demo").get("/backoffice/reports/digitization/").status_code == 403
    leader = login("leader.demo")
    assert leader.get("/backoffice/reports/digitization/").status_code == 200
    assert leader.get("/backoffice/reports/digitization/", {"unit": "000.00.00.G11"}).status_code == 403
    assert leader.get("/backoffice/reports/digitization/", {"from": "yesterday"}).status_code == 422
