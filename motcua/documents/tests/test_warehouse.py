"""The electronic data warehouse over HTTP: results land in it, a new dossier reuses a document instead of an upload,
accepted dossiers file their components, the access log, and nobody else sees or reuses my documents."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from motcua.core.errors import Conflict
from motcua.documents.models import AccessPurpose, DocumentAccess, WarehouseDocument
from motcua.dossiers.models import DossierFile
from motcua.dossiers.tests.conftest import first_registration
from motcua.integrations.models import OutboxEvent

CERTIFICATE = "giay_chung_nhan_dang_ky_nvqs"


def absence(citizen: Any, document_id: str | None = None, **component: Any) -> dict[str, Any]:
    """citizen.demo's temporary-absence registration (1.001733), reusing the certificate when `document_id`."""
    certificate = ({"code": "giay_chung_nhan_nvqs", "warehouse_documents": [document_id]} if document_id
                   else {"code": "giay_chung_nhan_nvqs", "files": [citizen.upload("gcn.pdf")]})
    certificate.update(component)
    return {
        "procedure": "1.001733",
        "form": {"ho_ten": "Nguyễn Văn An", "so_cccd": "001209012345", "noi_den": "Đà Nẵng",
                 "ly_do": "Đi làm việc", "tu_ngay": "2026-12-01"},
        "components": [{"code": "to_khai_tam_vang", "files": [citizen.upload("tam-vang.pdf")]}, certificate],
    }


@pytest.fixture
def certificate(api, frozen_clock) -> dict[str, Any]:
    """citizen.demo's military service registration certificate: the result of 1.013133, in their warehouse."""
    from motcua.results.tests.test_results import approve

    code, answer = approve(api, frozen_clock, {"note": "Đồng ý", "valid_until": "2031-11-22"})
    assert answer.status_code == 200, answer.content
    listing = api("citizen.demo").get("/api/v1/warehouse/documents", type=CERTIFICATE)
    assert listing.status_code == 200, listing.content
    (document,) = listing.json()
    return {**document, "dossier_code": code}


def test_an_issued_result_lands_in_the_holders_warehouse(api, certificate):
    assert certificate["source"] == "result" and certificate["result"] == f"{certificate['dossier_code']}-KQ1"
    assert certificate["document_type"] == {"code": CERTIFICATE, "name": "Giấy chứng nhận đăng ký nghĩa vụ quân sự"}
    assert (certificate["valid_until"], certificate["state"], certificate["still_valid"]) == ("2031-11-22", "valid",
                                                                                            True)
    assert certificate["digitized"] is True  # an electronic result is born digital
    assert certificate["dossier"] == certificate["dossier_code"] and certificate["issuer"]


def test_a_warehouse_document_is_reused_in_a_new_dossier_without_an_upload(api, certificate):
    citizen = api("citizen.demo")
    offers = citizen.get("/api/v1/warehouse/offers", procedure="1.001733")
    assert offers.status_code == 200, offers.content
    offered = {o["component"]: [d["id"] for d in o["documents"]] for o in offers.json()}
    assert offered == {"giay_chung_nhan_nvqs": [certificate["id"]]}

    response = citizen.post("/api/v1/dossiers", absence(citizen, certificate["id"]))
    assert response.status_code == 201, response.content
    dossier = response.json()
    (reused,) = [c for c in dossier["components"] if c["code"] == "giay_chung_nhan_nvqs"]
    assert [f["reused_from"] for f in reused["files"]] == [certificate["id"]]
    assert reused["files"][0]["name"] == f"{certificate['result']}.pdf"
    row = DossierFile.objects.get(dossier__code=dossier["code"], component_code="giay_chung_nhan_nvqs")
    assert str(row.reused_from_id) == certificate["id"]

    detail = citizen.get(f"/api/v1/warehouse/documents/{certificate['id']}").json()
    assert [(a["purpose"], a["dossier"], a["by"]) for a in detail["accesses"]] == [
        ("view", "", "Nguyễn Văn An"), ("reuse", dossier["code"], "Nguyễn Văn An")]
    # The outbox announces the filing of the result and its reuse (the index counts reuse).
    topics = list(OutboxEvent.objects.filter(key=certificate["id"]).values_list("topic", flat=True))
    assert sorted(topics) == ["warehouse.filed", "warehouse.reused"]
    # The officers open the reused file through the dossier like any other.
    onestop = api("onestop.demo")
    assert onestop.get(f"/api/v1/dossiers/{dossier['code']}/files/{row.file_id}").status_code == 200


def test_a_required_component_is_satisfied_by_a_reused_document_only(api, certificate):
    citizen = api("citizen.demo")
    body = absence(citizen, certificate["id"])
    assert citizen.post("/api/v1/dossiers", body).status_code == 201
    body["components"] = body["components"][:1]  # the certificate neither uploaded nor reused
    answer = citizen.post("/api/v1/dossiers", body)
    assert answer.status_code == 422
    assert {(e["field"], e["rule"]) for e in answer.json()["errors"]} == {
        ("components.giay_chung_nhan_nvqs", "required")}


def test_another_applicant_can_neither_see_nor_reuse_my_documents(api, certificate):
    other = api("citizen2.demo")
    assert other.get("/api/v1/warehouse/documents").json() == []
    for path in (f"/api/v1/warehouse/documents/{certificate['id']}",
                 f"/api/v1/warehouse/documents/{certificate['id']}/file"):
        answer = other.get(path)
        assert answer.status_code == 404 and answer.json()["errors"][0]["field"] == "document_id"
    assert other.get("/api/v1/warehouse/offers", procedure="1.001733").json()[0]["documents"] == []
    body = absence(other, certificate["id"])
    body["form"]["so_cccd"] = "001198054321"
    answer = other.post("/api/v1/dossiers", body)
    assert answer.status_code == 422, answer.content
    assert ("components[1].warehouse_documents[0]", "exists") in {
        (e["field"], e["rule"]) for e in answer.json()["errors"]}
    assert not DocumentAccess.objects.filter(user__username="citizen2.demo").exists()


def test_reuse_refuses_a_document_of_the_wrong_type_or_no_longer_valid(api, certificate):
    citizen = api("citizen.demo")
    body = absence(citizen, certificate["id"], code="to_khai_tam_vang")
    body["components"] = [body["components"][1]]
    answer = citizen.post("/api/v1/dossiers", body)
    assert ("components[0].warehouse_documents[0]", "document_type") in {
        (e["field"], e["rule"]) for e in answer.json()["errors"]}
    # Expired yesterday (the frozen clock says 2026-11-23).
    WarehouseDocument.objects.filter(pk=certificate["id"]).update(valid_until=date(2026, 11, 22))
    answer = citizen.post("/api/v1/dossiers", absence(citizen, certificate["id"]))
    assert answer.status_code == 422
    assert ("components[1].warehouse_documents[0]", "still_valid") in {
        (e["field"], e["rule"]) for e in answer.json()["errors"]}
    assert citizen.get("/api/v1/warehouse/documents", type=CERTIFICATE, valid="true").json() == []
    assert [d["id"] for d in citizen.get("/api/v1/warehouse/documents", valid="false").json()] == [
        certificate["id"]]


def test_a_cancelled_result_is_no_longer_valid_in_the_warehouse(api, certificate):
    leader = api("leader.demo")
    answer = leader.post(f"/api/v1/results/{certificate['result']}/cancel", {"reason": "Cấp nhầm"})
    assert answer.status_code == 200, answer.content
    document = api("citizen.demo").get(f"/api/v1/warehouse/documents/{certificate['id']}").json()
    assert (document["state"], document["still_valid"]) == ("cancelled", False)
    assert api("citizen.demo").get("/api/v1/warehouse/offers", procedure="1.001733").json()[0]["documents"] == []


def test_download_is_logged_and_the_log_is_append_only(api, certificate):
    citizen = api("citizen.demo")
    response = citizen.get(f"/api/v1/warehouse/documents/{certificate['id']}/file")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    access = DocumentAccess.objects.get(document_id=certificate["id"])
    assert (access.purpose, access.user.username) == (AccessPurpose.DOWNLOAD, "citizen.demo")
    with pytest.raises(Conflict):
        access.save()
    with pytest.raises(Conflict):
        access.delete()


def test_an_accepted_dossier_files_its_typed_components_into_the_warehouse(api):
    citizen, onestop = api("citizen.demo"), api("onestop.demo")
    response = citizen.post("/api/v1/dossiers", first_registration(citizen))
    code = response.json()["code"]
    assert not WarehouseDocument.objects.exists()
    assert onestop.act(code, "accept").status_code == 200
    (filed,) = citizen.get("/api/v1/warehouse/documents").json()
    assert (filed["source"], filed["document_type"]["code"], filed["dossier"], filed["component"]) == (
        "dossier_component", "cccd", code, "cccd")
    assert filed["digitized"] is False  # queued for OCR, not done yet
    # Offered to the next procedure that takes an identity card.
    offers = citizen.get("/api/v1/warehouse/offers", procedure="1.005062").json()
    assert [d["id"] for d in next(o for o in offers if o["component"] == "cccd")["documents"]] == [filed["id"]]


def test_the_openapi_spec_documents_the_warehouse_and_the_report(client, db):
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/v1/warehouse/documents", "/api/v1/warehouse/documents/{document_id}",
                 "/api/v1/warehouse/documents/{document_id}/file", "/api/v1/warehouse/offers",
                 "/api/v1/reports/digitization"):
        assert {"200", "401"} <= set(paths[path]["get"]["responses"]), path
    assert "404" in paths["/api/v1/warehouse/documents/{document_id}/file"]["get"]["responses"]
    assert "403" in paths["/api/v1/reports/digitization"]["get"]["responses"]
    assert {p["name"] for p in paths["/api/v1/reports/digitization"]["get"]["parameters"]} == {"unit", "from", "to"}
    assert "warehouse_documents" in spec["components"]["schemas"]["ComponentIn"]["properties"]
