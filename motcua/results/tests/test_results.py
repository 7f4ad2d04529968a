"""Electronic results end to end over HTTP: issued at approval, signed, sealed, stored, verified, cancelled and
replaced."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import timedelta
from typing import Any

import jwt
import pytest
import zxingcpp
from django.test import Client
from PIL import Image

from motcua.documents.models import StoredFile
from motcua.dossiers.models import Dossier
from motcua.dossiers.tests.conftest import first_registration, ship_declaration
from motcua.results import signing
from motcua.results.models import Result

from .conftest import pdfsig

LEADER_NAME = "Hoàng Minh Đức"


def approve(api: Any, clock: Any, body: dict[str, Any] | None = None) -> tuple[str, Any]:
    """citizen.demo's 1.013133 dossier accepted, appraised, then the leader's approval answer (not asserted)."""
    citizen, onestop, handler, leader = (api(u) for u in ("citizen.demo", "onestop.demo", "handler.demo",
                                                          "leader.demo"))
    response = citizen.post("/api/v1/dossiers", first_registration(citizen))
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    assert onestop.act(code, "accept").status_code == 200
    clock.advance(timedelta(hours=2))
    assert handler.act(code, "complete_step").status_code == 200
    return code, leader.act(code, "approve", body or {"note": "Đồng ý"})


@pytest.fixture
def issued(api, frozen_clock) -> dict[str, Any]:
    code, answer = approve(api, frozen_clock, {"note": "Đồng ý", "valid_until": "2031-11-22"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == 9 and answer.json()["results"] == [f"{code}-KQ1"]
    return {"dossier": code, "code": f"{code}-KQ1"}


def download(api: Any, username: str, code: str) -> bytes:
    response = api(username).get(f"/api/v1/results/{code}/file")
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def read_qr(pdf: bytes, tmp_path: Any) -> str:
    path = tmp_path / "result.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(tmp_path / "page")], check=True)
    with Image.open(tmp_path / "page.png") as image:
        (found,) = zxingcpp.read_barcodes(image)
    return found.text


def test_approval_issues_a_signed_sealed_result_that_independent_tools_accept(api, issued, nss_db, tmp_path):
    code = issued["code"]
    meta = api("citizen.demo").get(f"/api/v1/results/{code}").json()
    assert (meta["state"], meta["standing"], meta["number"], meta["valid_until"]) == ("valid", "valid", 1,
                                                                                    "2031-11-22")
    assert meta["holder_name"] == "Nguyễn Văn An" and meta["title"] == "Giấy chứng nhận đăng ký nghĩa vụ quân sự"
    assert [(s["kind"], s["name"]) for s in meta["signers"]] == [
        ("leader", LEADER_NAME), ("unit", "Ban Chỉ huy Quân sự phường Ngọc Hà")]
    pdf = download(api, "citizen.demo", code)
    assert hashlib.sha256(pdf).hexdigest() == meta["sha256"]
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "GIẤY CHỨNG NHẬN ĐĂNG KÝ NGHĨA VỤ QUÂN SỰ" in text and LEADER_NAME in text and code in text

    # poppler's pdfsig, trusting the TEST root: the leader's signature, then the unit's seal, both valid and trusted.
    verdicts = pdfsig(pdf, nss_db, tmp_path)
    assert [v["field"] for v in verdicts] == ["LeaderSignature", "UnitSeal"]
    for verdict in verdicts:
        assert verdict["signature"] == "Signature is Valid." and verdict["certificate"] == "Certificate is Trusted."
    checked = signing.validate_pdf(pdf)
    assert checked.all_valid and checked.all_trusted and checked.intact
    assert LEADER_NAME in checked.signatures[0].signer_common_name

    # The QR code on page 1, read by an independent decoder, verified with the published keys (PyJWT, by kid).
    token = read_qr(pdf, tmp_path)
    assert token == meta["seal"]
    jwks = Client().get("/.well-known/jwks.json").json()
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWK.from_dict(next(k for k in jwks["keys"] if k["kid"] == kid))
    claims = json.loads(jwt.api_jws.PyJWS().decode(token, key.key, algorithms=["ES256"]))
    assert (claims["c"], claims["h"], claims["e"], claims["i"]) == (code, "Nguyễn Văn An", "2031-11-22",
                                                                    "000.05.12.H26")
    assert hashlib.sha256(pdf[: claims["l"]]).hexdigest() == claims["s"]


def test_anyone_verifies_by_code_file_or_seal(api, issued):
    code = issued["code"]
    pdf = download(api, "citizen.demo", code)
    anonymous = Client()
    by_code = anonymous.get(f"/api/v1/verify/{code}").json()
    assert by_code["verdict"] == "valid" and by_code["reasons"] == []
    assert by_code["result"]["holder_name"] == "N. V. An"  # a typed code proves nothing: the name is masked
    assert [s["valid"] and s["trusted"] for s in by_code["signatures"]] == [True, True]

    by_file = anonymous.post("/api/v1/verify", {"file": _upload(pdf)}).json()
    assert by_file["verdict"] == "valid" and by_file["document"]["registered_copy"] is True
    assert by_file["result"]["holder_name"] == "Nguyễn Văn An"

    seal_text = api("citizen.demo").get(f"/api/v1/results/{code}").json()["seal"]
    by_seal = anonymous.post("/api/v1/verify", {"qr": seal_text}).json()
    assert by_seal["verdict"] == "valid" and by_seal["seal"]["c"] == code


def _upload(content: bytes, name: str = "ket-qua.pdf") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_a_file_with_one_changed_byte_is_not_valid(api, issued):
    pdf = bytearray(download(api, "citizen.demo", issued["code"]))
    result = Result.objects.get(code=issued["code"])
    position = pdf.index(b"Nguy") if b"Nguy" in pdf else result.content_length // 2
    pdf[position] ^= 0x01
    answer = Client().post("/api/v1/verify", {"file": _upload(bytes(pdf))}).json()
    assert answer["verdict"] == "not_valid"
    assert answer["document"]["registered_copy"] is False
    assert not all(s["valid"] and s["intact"] for s in answer["signatures"])


@pytest.mark.parametrize("form, field, rule", [
    ({"file": "not a pdf"}, "file", "pdf"),
    ({"qr": "eyJhbGciOiJFUzI1NiJ9.e30.AAAA"}, "qr", "key"),
    ({"qr": "hello"}, "qr", "format"),
    ({}, "file", "required"),
])
def test_bad_verification_input_is_a_422_naming_the_field(db, form, field, rule):
    if form.get("file"):
        form = {"file": _upload(form["file"].encode(), "x.pdf")}
    response = Client().post("/api/v1/verify", form)
    assert response.status_code == 422, response.content
    assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [(field, rule)]


def test_an_unknown_code_is_not_valid(db):
    answer = Client().get("/api/v1/verify/000.05.12.H26-261123-9999-KQ1").json()
    assert (answer["verdict"], answer["found"]) == ("not_valid", False)


def test_a_bad_validity_refuses_the_approval_and_writes_nothing(api, frozen_clock):
    code, answer = approve(api, frozen_clock, {"valid_until": "2026-11-01"})
    assert answer.status_code == 422
    assert [(e["field"], e["rule"]) for e in answer.json()["errors"]] == [("valid_until", "future")]
    dossier = Dossier.objects.get(code=code)
    assert dossier.status == 4 and not Result.objects.exists()
    assert not StoredFile.objects.filter(original_name__contains="-KQ").exists()
    assert not dossier.events.filter(action="approve").exists()


def test_without_the_units_key_the_approval_is_refused_and_the_dossier_unchanged(api, frozen_clock, settings,
                                                                                   tmp_path):
    settings.MOTCUA_PKI_DIR = tmp_path / "empty-pki"
    signing.clear_caches()
    try:
        code, answer = approve(api, frozen_clock)
    finally:
        signing.clear_caches()
    assert answer.status_code == 503 and answer.json()["error"] == "signing_unavailable"
    assert Dossier.objects.get(code=code).status == 4 and not Result.objects.exists()


def test_holder_and_officers_see_a_result_others_do_not(api, issued):
    code = issued["code"]
    for username in ("citizen.demo", "onestop.demo", "leader.demo"):
        assert api(username).get(f"/api/v1/results/{code}").status_code == 200, username
    assert api("citizen2.demo").get(f"/api/v1/results/{code}").status_code == 404
    assert api("citizen2.demo").get(f"/api/v1/results/{code}/file").status_code == 404
    assert Client().get(f"/api/v1/results/{code}").status_code == 401
    mine = [r["code"] for r in api("citizen.demo").get("/api/v1/results").json()]
    assert mine == [code] and api("citizen2.demo").get("/api/v1/results").json() == []


def test_only_a_leader_of_the_issuer_cancels_and_the_cancelled_result_stays_retrievable(api, issued):
    code = issued["code"]
    for username, status in (("citizen.demo", 403), ("handler.demo", 403)):
        answer = api(username).post(f"/api/v1/results/{code}/cancel", {"reason": "Sai sót"})
        assert answer.status_code == status, (username, answer.content)
    leader = api("leader.demo")
    missing = leader.post(f"/api/v1/results/{code}/cancel", {"reason": " "})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "reason"
    cancelled = leader.post(f"/api/v1/results/{code}/cancel", {"reason": "Cấp nhầm đối tượng"})
    assert cancelled.status_code == 200, cancelled.content
    assert (cancelled.json()["state"], cancelled.json()["change_reason"]) == ("cancelled", "Cấp nhầm đối tượng")
    assert leader.post(f"/api/v1/results/{code}/cancel", {"reason": "again"}).status_code == 409
    assert download(api, "citizen.demo", code).startswith(b"%PDF")
    answer = Client().get(f"/api/v1/verify/{code}").json()
    assert answer["verdict"] == "not_valid" and answer["result"]["standing"] == "cancelled"
    assert answer["reasons"][0]["en"] == "The result was cancelled by its issuer."
    history = api("citizen.demo").get(f"/api/v1/dossiers/{issued['dossier']}").json()["history"]
    assert history[-1]["action"] == "cancel_result" and history[-1]["data"] == {"result": code}


def test_a_replacement_gets_the_next_number_and_the_old_one_points_to_it(api, issued):
    code = issued["code"]
    answer = api("leader.demo").post(f"/api/v1/results/{code}/replace",
                                     {"reason": "Đính chính ngày sinh", "valid_until": "2032-01-01"})
    assert answer.status_code == 201, answer.content
    new = answer.json()
    assert new["code"] == f"{issued['dossier']}-KQ2" and new["replaces"] == code and new["valid_until"] == "2032-01-01"
    old = api("citizen.demo").get(f"/api/v1/results/{code}").json()
    assert (old["state"], old["replaced_by"]) == ("replaced", new["code"])
    assert Client().get(f"/api/v1/verify/{code}").json()["result"]["standing"] == "replaced"
    assert Client().get(f"/api/v1/verify/{new['code']}").json()["verdict"] == "valid"
    detail = api("citizen.demo").get(f"/api/v1/dossiers/{issued['dossier']}").json()
    assert detail["results"] == [code, new["code"]]


def test_a_result_past_its_validity_verifies_as_expired(api, issued, frozen_clock):
    frozen_clock.advance(timedelta(days=5 * 366))
    answer = Client().get(f"/api/v1/verify/{issued['code']}").json()
    assert answer["verdict"] == "not_valid" and answer["result"]["standing"] == "expired"


def test_an_automatic_approval_carries_the_units_seal_only(api):
    agent = api("shipagent.demo")
    created = agent.post("/api/v1/dossiers", ship_declaration(agent)).json()
    code = agent.get(f"/api/v1/dossiers/{created['code']}").json()["results"][0]
    meta = agent.get(f"/api/v1/results/{code}").json()
    assert [s["kind"] for s in meta["signers"]] == ["unit"] and meta["valid_until"] is None
    checked = signing.validate_pdf(download(api, "shipagent.demo", code))
    assert [s.field_name for s in checked.signatures] == ["UnitSeal"] and checked.all_trusted


def test_the_openapi_spec_documents_results_and_verification(client):
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/v1/results", "/api/v1/results/{code}", "/api/v1/results/{code}/file",
                 "/api/v1/results/{code}/cancel", "/api/v1/results/{code}/replace", "/api/v1/verify/{code}",
                 "/api/v1/verify"):
        assert path in paths, path
    assert set(paths["/api/v1/verify"]["post"]["requestBody"]["content"]) == {"multipart/form-data"}
    assert "results" in spec["components"]["schemas"]["DossierOut"]["properties"]
    assert "422" in paths["/api/v1/results/{code}/cancel"]["post"]["responses"]


def test_verification_is_rate_limited_per_address(db, settings):
    settings.MOTCUA_VERIFY_RATE = (2, 60)
    anonymous = Client()
    codes = [anonymous.get("/api/v1/verify/000.05.12.H26-261123-9999-KQ1").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = anonymous.post("/api/v1/verify", {"code": "x"})
    assert limited.status_code == 429 and limited.json()["error"] == "rate_limited"
    assert Client(REMOTE_ADDR="10.0.0.9").get("/api/v1/verify/000.05.12.H26-261123-9999-KQ1").status_code == 200
    assert "Quá nhiều" in anonymous.post("/verify/", {"code": "x"}).content.decode()
