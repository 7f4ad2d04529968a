"""The digitization inspection report: dossiers and results digitized, backlog and reuse per unit with the units
below it, lagging units first; for leaders and the inspection role only."""

from __future__ import annotations

from typing import Any

import pytest

from motcua.demo.samples import MINIMAL_PDF
from motcua.documents.digitization import enqueue
from motcua.documents.models import Digitization, DigitizationState
from motcua.dossiers.models import DossierFile

from .test_results import approve

COMMUNE = "000.05.12.H26"
OTHER_PDF = MINIMAL_PDF.replace(b"%PDF-1.4\n", b"%PDF-1.4\n% to khai tam vang\n", 1)


@pytest.fixture
def activity(api, frozen_clock) -> dict[str, str]:
    """At the demo commune: dossier A approved (electronic result), its three files digitized; dossier B reusing
    A's result, its own declaration queued for OCR; nothing elsewhere."""
    code_a, answer = approve(api, frozen_clock, {"note": "Đồng ý", "valid_until": "2031-11-22"})
    assert answer.status_code == 200, answer.content
    citizen = api("citizen.demo")
    (certificate,) = citizen.get("/api/v1/warehouse/documents", type="giay_chung_nhan_dang_ky_nvqs").json()
    body = {"procedure": "1.001733",
            "form": {"ho_ten": "Nguyễn Văn An", "so_cccd": "001209012345", "noi_den": "Đà Nẵng", "ly_do": "Công tác",
                     "tu_ngay": "2026-12-01"},
            # Other bytes than A's files: identical content would share A's finished OCR (content-addressed).
            "components": [{"code": "to_khai_tam_vang", "files": [citizen.upload("tam-vang.pdf", OTHER_PDF)]},
                           {"code": "giay_chung_nhan_nvqs", "warehouse_documents": [certificate["id"]]}]}
    response = citizen.post("/api/v1/dossiers", body)
    assert response.status_code == 201, response.content
    code_b = response.json()["code"]
    a_files = [item.file for item in DossierFile.objects.filter(dossier__code=code_a)]
    for stored in a_files:
        enqueue(stored)
    # What the OCR pipeline does when it is done (reception queued B's files too: they stay queued).
    Digitization.objects.filter(file__in=a_files).update(state=DigitizationState.DONE)
    enqueue(DossierFile.objects.get(dossier__code=code_b, component_code="to_khai_tam_vang").file)
    return {"a": code_a, "b": code_b}


def figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["dossiers"], row["dossiers_with_files"], row["dossiers_digitized"], row["dossiers_digitized_share"],
            row["results"], row["results_digitized"], row["results_digitized_share"], row["backlog_queued"],
            row["backlog_failed"], row["reused"], row["reuse_rate"])


def test_the_report_counts_digitized_dossiers_results_backlog_and_reuse(api, activity):
    answer = api("leader.demo").get("/api/v1/reports/digitization", **{"from": "2026-11-01", "to": "2026-11-30"})
    assert answer.status_code == 200, answer.content
    report = answer.json()
    assert (report["unit"], report["from"], report["to"]) == (COMMUNE, "2026-11-01", "2026-11-30")
    # B's reused certificate is born electronic, but its declaration waits for OCR: B is not digitized yet.
    assert figures(report["total"]) == (2, 2, 1, 0.5, 1, 1, 1.0, 1, 0, 1, 0.5)
    assert [r["unit"] for r in report["rows"]] == [COMMUNE]

    Digitization.objects.filter(state=DigitizationState.QUEUED).update(state=DigitizationState.FAILED)
    report = api("leader.demo").get("/api/v1/reports/digitization", **{"from": "2026-11-01"}).json()
    assert figures(report["total"]) == (2, 2, 1, 0.5, 1, 1, 1.0, 0, 1, 1, 0.5)


def test_units_roll_up_and_the_lagging_come_first(api, activity):
    report = api("admin.demo").get("/api/v1/reports/digitization", **{"from": "2026-11-01"}).json()
    assert report["unit"] == "000.00.00.G11"
    rows = {r["unit"]: r for r in report["rows"]}
    for code in ("000.00.00.G11", "000.00.01.H26", "000.05.00.H26", COMMUNE):  # the commune and its ancestors
        assert figures(rows[code]) == (2, 2, 1, 0.5, 1, 1, 1.0, 1, 0, 1, 0.5)
    assert figures(rows["000.03.07.H39"]) == (0, 0, 0, None, 0, 0, None, 0, 0, 0, None)
    order = [r["unit"] for r in report["rows"]]
    assert order.index(COMMUNE) < order.index("000.03.07.H39")  # units with nothing to count come last
    # Outside the period: nothing.
    empty = api("admin.demo").get("/api/v1/reports/digitization", **{"from": "2026-01-01", "to": "2026-10-31"})
    assert empty.json()["total"]["dossiers"] == 0


def test_only_leaders_and_inspection_read_it_within_their_units(api, activity):
    assert api("citizen.demo").get("/api/v1/reports/digitization").status_code == 403
    assert api("handler.demo").get("/api/v1/reports/digitization").status_code == 403
    outside = api("leader.demo").get("/api/v1/reports/digitization", unit="000.00.00.G11")
    assert outside.status_code == 403 and outside.json()["errors"][0]["field"] == "unit"
    bad = api("admin.demo").get("/api/v1/reports/digitization", **{"from": "2026-12-01", "to": "2026-11-01"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "from"
    unknown = api("admin.demo").get("/api/v1/reports/digitization", unit="999.99.99.X99")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "unit"
