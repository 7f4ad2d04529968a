"""Digitization seen from dossiers: reception queues the scans, officers find a dossier by words of a scanned page
(OCR'd for real) without diacritics, each file shows its state, the archive and thumbnail download for whoever sees
the dossier, and the one-stop officer scans a paper dossier at the desk."""

from __future__ import annotations

from motcua.documents import ocr
from motcua.documents.models import Digitization, DigitizationState
from motcua.documents.tests.conftest import make_scan
from motcua.dossiers.models import DigitizedComponent, Dossier

from .conftest import first_registration

# A made-up name and village that exist nowhere else: only the OCR of the scan can hold them.
SCAN = ["Căn cước của ông Khổng Đức Thượng Viễn", "xóm Nghĩa Đàn Ưởng"]


def test_a_scanned_component_is_found_by_its_words_without_diacritics(api):
    citizen, onestop, other = api("citizen.demo"), api("onestop.demo"), api("citizen2.demo")
    scan = citizen.upload("cccd.png", make_scan(SCAN))
    body = first_registration(citizen)
    body["components"][2] = {"code": "cccd", "files": [scan]}
    code = citizen.post("/api/v1/dossiers", body).json()["code"]
    # Every attached file was queued (three PDFs, one image).
    assert Digitization.objects.filter(state=DigitizationState.QUEUED).count() == 3
    files = {f["id"]: f for c in onestop.get(f"/api/v1/dossiers/{code}").json()["components"] for f in c["files"]}
    assert files[scan]["digitization"]["state"] == "queued"
    assert onestop.get(f"/api/v1/dossiers/{code}/files/{scan}/archive").status_code == 404

    assert ocr.run_pending() == 3

    found = onestop.get("/api/v1/dossiers", text="khong duc THUONG vien")
    assert found.status_code == 200, found.content
    assert [d["code"] for d in found.json()["items"]] == [code]
    assert onestop.get("/api/v1/dossiers", text="nghia dan uong").json()["items"][0]["code"] == code
    assert onestop.get("/api/v1/dossiers", text="khong duc thuong lam").json()["items"] == []
    # Applicants search only their own dossiers.
    assert other.get("/api/v1/dossiers", text="khong duc thuong vien").json()["items"] == []

    state = {f["id"]: f for c in onestop.get(f"/api/v1/dossiers/{code}").json()["components"]
             for f in c["files"]}[scan]["digitization"]
    assert (state["state"], state["pages"], state["pdfa"], state["reason"]) == ("done", 1, "2B", "")
    archive = onestop.get(f"/api/v1/dossiers/{code}/files/{scan}/archive")
    assert archive.status_code == 200 and archive["Content-Type"] == "application/pdf"
    assert b"".join(archive.streaming_content).startswith(b"%PDF")
    thumbnail = citizen.get(f"/api/v1/dossiers/{code}/files/{scan}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/png"
    assert other.get(f"/api/v1/dossiers/{code}/files/{scan}/archive").status_code == 404
    # The uploader sees the same through the file itself.
    own = citizen.get(f"/api/v1/files/{scan}").json()
    assert own["digitization"]["archive"] == state["archive"]
    assert citizen.get(f"/api/v1/files/{scan}/archive").status_code == 200


def test_a_search_without_words_is_refused_naming_the_field(api):
    response = api("onestop.demo").get("/api/v1/dossiers", text="!!! ...")
    assert response.status_code == 422
    assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [("text", "terms")]


def test_the_onestop_officer_scans_components_at_the_desk(api, submitted):
    onestop, handler, citizen = api("onestop.demo"), api("handler.demo"), api("citizen.demo")
    code = submitted["code"]
    pages = [onestop.upload(f"van-bang-{n}.png", make_scan([f"Trang {n}"])) for n in (1, 2)]
    response = onestop.post(f"/api/v1/dossiers/{code}/digitize", {"components": [
        {"code": "van_bang", "files": pages}, {"code": "to_khai"}]})
    assert response.status_code == 200, response.content
    components = {c["code"]: c for c in response.json()["components"]}
    assert components["van_bang"]["digitized"] and components["to_khai"]["digitized"]
    assert not components["cccd"]["digitized"]
    assert [f["id"] for f in components["van_bang"]["files"]] == pages
    assert all(f["digitization"]["state"] == "queued" for f in components["van_bang"]["files"])
    event = response.json()["history"][-1]
    assert (event["action"], event["role"]) == ("digitize", "onestop")
    assert event["data"]["scans"][0] == {"code": "van_bang", "files": pages, "digitized": True}
    dossier = Dossier.objects.get(code=code)
    assert set(DigitizedComponent.objects.filter(dossier=dossier).values_list("component_code", flat=True)) == {
        "van_bang", "to_khai"}
    # The applicant does not see the officers' internal event.
    assert "digitize" not in [e["action"] for e in citizen.get(f"/api/v1/dossiers/{code}").json()["history"]]

    # Only a one-stop officer of the receiving unit.
    refused = handler.post(f"/api/v1/dossiers/{code}/digitize", {"components": [{"code": "cccd"}]})
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["field"] == "role"
    assert citizen.post(f"/api/v1/dossiers/{code}/digitize", {"components": [{"code": "cccd"}]}).status_code == 403


def test_desk_scanning_names_every_bad_field(api, submitted):
    onestop, citizen = api("onestop.demo"), api("citizen.demo")
    code = submitted["code"]
    not_mine = citizen.upload("x.pdf")
    response = onestop.post(f"/api/v1/dossiers/{code}/digitize", {"components": [
        {"code": "no_such"}, {"code": "van_bang", "files": [not_mine]}, {"code": "van_bang"},
        {"code": "cccd", "files": [], "digitized": False}]})
    assert response.status_code == 422
    assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
        ("components[0].code", "exists"), ("components[1].files[0]", "exists"), ("components[2].files", "required"),
        ("components[3].files", "required")]
    assert not DigitizedComponent.objects.exists()


def test_the_answer_to_a_submission_is_the_dossier_as_read_back(api):
    """The 201 is built from what the submission wrote (no read-back): it must equal a later read, files with their
    digitization state included, for new files and for files queued already by an earlier dossier."""
    citizen = api("citizen.demo")
    body = first_registration(citizen)
    body["components"][2] = {"code": "cccd", "files": [citizen.upload("cccd.png", make_scan(SCAN))]}
    for _round in range(2):  # the second dossier attaches the same files: queued already, not queued again
        created = citizen.post("/api/v1/dossiers", body)
        assert created.status_code == 201, created.content
        answer = created.json()
        assert answer == citizen.get(f"/api/v1/dossiers/{answer['code']}").json()
        states = [f["digitization"]["state"] for c in answer["components"] for f in c["files"]]
        assert states == ["queued"] * 3
        assert [h["action"] for h in answer["history"]] == ["submit"] and len(answer["steps"]) == 1
    assert Digitization.objects.count() == 3
