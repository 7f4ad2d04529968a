"""Bulk digitization of historical records: a folder or ZIP of scans and a CSV manifest; bad rows are reported with
their line and rule and the rest imported; an interrupted batch resumes where it stopped."""

from __future__ import annotations

import zipfile
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from motcua.documents.models import Digitization, DigitizationState, StoredFile, WarehouseDocument, WarehouseSource
from motcua.documents.tests.conftest import make_pdf, make_png
from motcua.dossiers import bulk
from motcua.dossiers.importing import import_file
from motcua.dossiers.models import BulkBatch, BulkRow, BulkRowStatus, DossierFile, Event

SAMPLE = Path(__file__).resolve().parents[1] / "demo" / "history-sample.jsonl"
PAPER = "000.05.12.H26-230315-0001"  # an imported 1.013133 dossier, approved in 2023, its result on paper
MINE = "000.05.12.H26-260410-0003"  # citizen.demo's imported 1.013133 dossier, approved

MANIFEST = f"""file,dossier,applicant_id,component,document_type,issue_date,valid_until,number,issuer
scans/to-khai.pdf,{PAPER},,to_khai,,,,,
scans/cccd.png,,001209012345,,cccd,2021-05-10,2046-05-10,001209012345,Cục Cảnh sát QLHC về TTXH
scans/khong-co.pdf,{PAPER},,to_khai,,,,,
scans/to-khai.pdf,000.05.12.H26-230315-9999,,to_khai,,,,,
scans/cccd.png,,001209012345,,cccd,31/02/2021,,,
scans/to-khai.pdf,{PAPER},,giay_khong_ton_tai,,,,,
scans/ket-qua.pdf,{MINE},,KQ1,,2026-04-12,2031-04-12,{MINE}-KQ1,Ban CHQS phường Ngọc Hà
"""


@pytest.fixture
def imported(demo, settings, tmp_path) -> Path:
    """The demo history imported; a folder of scans; files stored under the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    report = import_file(SAMPLE)
    assert not report.failed_batches
    scans = tmp_path / "source" / "scans"
    scans.mkdir(parents=True)
    (scans / "to-khai.pdf").write_bytes(make_pdf(content=b"BT (To khai) Tj ET"))
    (scans / "cccd.png").write_bytes(make_png("cccd"))
    (scans / "ket-qua.pdf").write_bytes(make_pdf(content=b"BT (Ket qua) Tj ET"))
    return tmp_path / "source"


def run(source: Path, manifest: str, tmp_path: Path, *extra: str) -> tuple[str, str, CommandError | None]:
    path = tmp_path / "manifest.csv"
    path.write_text(manifest, encoding="utf-8")
    out, err = StringIO(), StringIO()
    try:
        call_command("digitize_bulk", str(source), "--manifest", str(path), "--user", "onestop.demo", *extra,
                     stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def test_a_batch_reports_its_bad_rows_and_imports_the_rest(imported, tmp_path):
    out, err, failed = run(imported, MANIFEST, tmp_path)
    assert failed is not None and "3 of 7 row(s) imported, 4 rejected" in str(failed)
    reported = [(line.split(":")[0], line.split(":")[1].strip(), line.rsplit("[", 1)[1]) for line in err.splitlines()]
    assert reported == [("line 4", "file", "file_missing]"), ("line 5", "dossier", "unknown_dossier]"),
                        ("line 6", "issue_date", "date]"), ("line 7", "component", "unknown_component]")]
    assert "line 2: scans/to-khai.pdf: imported" in out
    batch = BulkBatch.objects.get()
    assert (batch.rows_total, batch.rows_done, batch.rows_rejected, batch.finished) == (7, 7, 4, True)
    rules = {row.line: [(e["field"], e["rule"]) for e in row.errors] for row in batch.rows.all()}
    assert rules == {2: [], 3: [], 4: [("file", "file_missing")], 5: [("dossier", "unknown_dossier")],
                     6: [("issue_date", "date")], 7: [("component", "unknown_component")], 8: []}

    # line 2: a digitized component of the imported dossier, queued for OCR, in the dossier's (non-public) history.
    attached = DossierFile.objects.get(dossier__code=PAPER, component_code="to_khai")
    assert attached.bulk_row.line == 2 and attached.file.original_name == "to-khai.pdf"
    assert Digitization.objects.get(file=attached.file).state == DigitizationState.QUEUED
    event = Event.objects.filter(dossier__code=PAPER, action="digitize").get()
    assert not event.public and event.data["line"] == 2
    # line 3: the identity card in citizen.demo's warehouse, with its dates and number.
    card = WarehouseDocument.objects.get(document_type__code="cccd")
    assert (card.owner.username, card.source, str(card.issued_on), str(card.valid_until), card.number) == (
        "citizen.demo", WarehouseSource.BULK, "2021-05-10", "2046-05-10", "001209012345")
    assert Digitization.objects.filter(file=card.file).exists()
    # line 8: the paper result of citizen.demo's dossier, as the result's document type, reusable.
    result = WarehouseDocument.objects.get(result_code=f"{MINE}-KQ1")
    assert (result.owner.username, result.document_type.code, str(result.valid_until)) == (
        "citizen.demo", "giay_chung_nhan_dang_ky_nvqs", "2031-04-12")
    assert sorted(BulkRow.objects.filter(status=BulkRowStatus.IMPORTED).values_list("line", flat=True)) == [2, 3, 8]


def test_an_interrupted_batch_resumes_where_it_stopped(imported, tmp_path, monkeypatch):
    calls: list[Any] = []
    real = bulk.enqueue

    def crash_on_second(stored: StoredFile) -> Any:
        calls.append(stored)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the worker is stopped half-way through the batch
        return real(stored)

    monkeypatch.setattr(bulk, "enqueue", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        run(imported, MANIFEST, tmp_path)
    batch = BulkBatch.objects.get()
    assert (batch.rows_done, batch.finished) == (1, False)  # line 2 done; line 3 rolled back with its row
    assert list(batch.rows.values_list("line", flat=True)) == [2]
    stored_before = StoredFile.objects.count()

    monkeypatch.setattr(bulk, "enqueue", real)
    out, _err, failed = run(imported, MANIFEST, tmp_path)
    assert out.startswith(f"Resuming batch #{batch.pk}: 1 of 7 row(s) done.")
    assert failed is not None and "4 rejected" in str(failed)
    assert BulkBatch.objects.count() == 1
    batch.refresh_from_db()
    assert (batch.rows_done, batch.rows_rejected, batch.finished) == (7, 4, True)
    assert sorted(batch.rows.values_list("line", flat=True)) == [2, 3, 4, 5, 6, 7, 8]
    # Line 2 was not done again: one file attached, one more file stored per later imported row (lines 3 and 8).
    assert DossierFile.objects.filter(dossier__code=PAPER, component_code="to_khai").count() == 1
    assert StoredFile.objects.count() == stored_before + 2
    # A finished batch is not resumed: running again starts a new one.
    run(imported, MANIFEST, tmp_path)
    assert BulkBatch.objects.count() == 2


def test_a_zip_of_scans_and_the_upload_checks(imported, tmp_path):
    archive = tmp_path / "scans.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(imported / "scans" / "to-khai.pdf", "scans/to-khai.pdf")
        zipped.writestr("scans/fake.pdf", b"MZ\x90\x00 not a pdf")
        zipped.writestr("../evil.pdf", make_pdf())
    manifest = (f"file;dossier;component\nscans/to-khai.pdf;{PAPER};to_khai\nscans/fake.pdf;{PAPER};to_khai\n"
                f"../evil.pdf;{PAPER};to_khai\n")
    _out, _err, failed = run(archive, manifest, tmp_path)
    assert failed is not None
    rows = {row.line: [(e["field"], e["rule"]) for e in row.errors] for row in BulkBatch.objects.get().rows.all()}
    assert rows == {2: [], 3: [("file", "content_type")], 4: [("file", "file_missing")]}


def test_a_manifest_without_its_columns_is_refused_whole(imported, tmp_path):
    _out, _err, failed = run(imported, "fichier,dossier\nx.pdf,y\n", tmp_path)
    assert failed is not None and not BulkBatch.objects.exists()


def test_the_unit_of_a_batch_limits_the_dossiers(imported, tmp_path):
    manifest = f"file,dossier,component\nscans/to-khai.pdf,{PAPER},to_khai\n"
    _out, _err, failed = run(imported, manifest, tmp_path, "--unit", "000.03.07.H39")
    assert failed is not None
    (row,) = BulkBatch.objects.get().rows.all()
    assert [(e["field"], e["rule"]) for e in row.errors] == [("dossier", "unknown_dossier")]
