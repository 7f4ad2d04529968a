"""Search of digitized text on PostgreSQL (unaccent + full text, documents/search.py): a scanned page is OCR'd for
real by the pipeline and found by its words typed without diacritics, in any case, through the same interface and the
officers' dossier search as on SQLite."""

from __future__ import annotations

import json

import pytest

from motcua.documents.ocr import image_to_pdf
from motcua.documents.tests.conftest import make_scan

from .conftest import Site

pytestmark = pytest.mark.postgres

# Made-up words that only the OCR of the scan can hold.
SCAN = ["Biên nhận của bà Tạ Thị Huỳnh Ngưỡng", "bản Phìn Hồ Xuyến"]

SCRIPT = r"""
import json, sys
from pathlib import Path

import django

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.documents import ocr, search
from motcua.documents.models import StoredFile
from motcua.dossiers import queries
from motcua.dossiers.services import Submission, submit
from motcua.demo.samples import FIRST_REGISTRATION_FORM
from motcua.documents.services import store_upload
from motcua.identity.models import User

citizen = User.objects.get(username="citizen.demo")
officer = User.objects.get(username="onestop.demo")
scan = store_upload(citizen, SimpleUploadedFile("cccd.png", Path(sys.argv[1]).read_bytes()))
others = [store_upload(citizen, SimpleUploadedFile(f"{n}.pdf", Path(sys.argv[2]).read_bytes())) for n in (1, 2)]
try:
    dossier, _ = submit(citizen, Submission(procedure="1.013133", form=dict(FIRST_REGISTRATION_FORM), components=[
        {"code": "to_khai", "files": [str(others[0].pk)]},
        {"code": "phieu_tu_khai_suc_khoe", "files": [str(others[1].pk)]}, {"code": "cccd", "files": [str(scan.pk)]}]))
except Exception as exc:
    sys.exit(f"{exc}: {[e.as_dict() for e in getattr(exc, 'errors', [])]}")
processed = ocr.run_pending()


def files(query):
    return sorted(str(pk) for pk in StoredFile.objects.filter(pk__in=search.file_ids_matching(query))
                  .values_list("pk", flat=True))


def dossiers(query):
    return list(queries.visible_to(officer).filter(queries.text_match(query)).values_list("code", flat=True))


print(json.dumps({
    "processed": processed, "scan": str(scan.pk), "code": dossier.code,
    "plain": files("ta thi huynh nguong"), "upper": files("TA THI HUYNH NGUONG"),
    "accented": files("Huỳnh Ngưỡng"), "place": files("phin ho xuyen"), "absent": files("huynh nguong lan"),
    "dossiers": dossiers("huynh nguong xuyen"), "no_dossier": dossiers("huynh nguong lan"),
}))
"""


def test_a_scan_is_found_without_diacritics_on_postgresql(pg_site: Site, tmp_path):
    image, scanned_pdf = tmp_path / "scan.png", tmp_path / "scan.pdf"
    image.write_bytes(make_scan(SCAN))
    image_to_pdf(image, scanned_pdf)  # the same page as a scanner's PDF
    result = json.loads(pg_site.run("-c", SCRIPT, str(image), str(scanned_pdf), timeout=300).stdout.strip()
                        .splitlines()[-1])
    assert result["processed"] == 3
    scan = result["scan"]
    # The three files hold the same page: every one is found, by words without diacritics, in any case.
    assert scan in result["plain"] and len(result["plain"]) == 3
    assert result["upper"] == result["plain"] == result["accented"] == result["place"]
    assert result["absent"] == []
    assert result["dossiers"] == [result["code"]] and result["no_dossier"] == []
    # The migration made the expression index the query uses.
    assert pg_site.query("SELECT indexname FROM pg_indexes WHERE indexname = 'documents_digitization_search'")
    assert pg_site.query("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")
