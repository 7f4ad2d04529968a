"""The authorization matrix: every operation of the OpenAPI spec, called by every kind of caller, is allowed or denied
exactly as `matrix.csv` says.

Callers: anonymous; citizen A (owns the dossiers, files and results below) and citizen B; the one-stop officer of unit
X (A's commune, which received the dossiers) and a one-stop officer of unit Y (another province); the leader of unit X;
an API client (unit X's account) whose token has the scope the operation needs, and one whose token has another scope.

Each call is a valid request for a real object of the scenario, made in a savepoint rolled back afterwards, so every
caller meets the same state. "allow" means a 2xx answer; "deny" means 401, 403, 404 or 409 (the object hidden, the
caller refused, or the action not theirs to take). Anything else (422, 5xx) fails the test: the probe is wrong or the
server is. An operation in the spec but not in the table (or the reverse) fails the test too: a new endpoint must be
added to the table, with a probe below, before it can land.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from motcua.api import api as ninja_api
from motcua.demo.samples import MINIMAL_PDF
from motcua.documents import ocr
from motcua.documents.models import Digitization, WarehouseDocument
from motcua.documents.tests.conftest import make_scan
from motcua.dossiers.tests.conftest import Api, api, first_registration  # noqa: F401 - api: the fixture
from motcua.identity.api import scope_for
from motcua.identity.services import issue_token, save_staff
from motcua.integrations.models import DeliveryStatus, Notification, OutboxDelivery, WebhookSubscription
from motcua.integrations.outbox import deliver_pending
from motcua.organization.models import Unit
from motcua.organization.services import assign_role
from motcua.payments import gateways
from motcua.payments import services as payments
from motcua.petitions import services as petitions

pytestmark = pytest.mark.django_db

MATRIX = Path(__file__).with_name("matrix.csv")
CALLERS = ["anonymous", "citizen_a", "citizen_b", "officer_x", "officer_y", "leader_x", "client_scope",
           "client_noscope"]
ALLOWED = range(200, 300)
DENIED = {401, 403, 404, 409}


@dataclass
class World:
    """The objects every probe works on (all belong to citizen A, received by unit X)."""

    new_dossier: str          # status 1, waiting for the one-stop desk
    new_dossier_file: str     # a file attached to it
    scan: str                 # a scanned page attached to it, digitized (OCR done: archive and thumbnail)
    lookup_key: str           # its tracking key
    settled_dossier: str      # returned to A (status 10), with a result
    result: str
    notification: int
    upload: str               # A's unfinished resumable upload (its URL)
    doomed_upload: str        # another one, for DELETE (it removes the partial file, which no rollback restores)
    petition: str             # A's petition about the new dossier, received by unit X
    answered_petition: str    # A's petition, answered and published
    warehouse_document: str   # A's result, in A's electronic data warehouse
    paying_dossier: str       # A's dossier in status 6: one obligation paid online, a second one due
    paid_payment: str         # the reference of the paid one (it has a receipt)
    pending_payment: str      # the reference of A's pending payment of the second one
    dead_letter: int = 0      # a failed outbox delivery
    webhook: int = 0          # a webhook subscription


@dataclass(frozen=True)
class Probe:
    path: str
    body: Any = None
    multipart: bool = False
    headers: dict[str, str] = field(default_factory=dict)  # extra request headers (tus)
    raw: bytes | None = None  # a raw body (tus PATCH), sent as application/offset+octet-stream


def operations() -> list[str]:
    spec = ninja_api.get_openapi_schema()
    return sorted(f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item)


def read_matrix() -> dict[str, dict[str, str]]:
    with MATRIX.open(encoding="utf-8") as handle:
        return {row["operation"]: {c: row[c] for c in CALLERS} for row in csv.DictReader(handle)}


TUS = {"Tus-Resumable": "1.0.0"}

# One valid request per operation, built from the scenario.
PROBES: dict[str, Callable[[World], Probe]] = {
    "GET /api/v1/fields": lambda w: Probe("/api/v1/fields"),
    "GET /api/v1/procedures": lambda w: Probe("/api/v1/procedures"),
    "GET /api/v1/procedures/{code}": lambda w: Probe("/api/v1/procedures/1.013133"),
    "POST /api/v1/auth/token": lambda w: Probe("/api/v1/auth/token",
                                               {"username": "citizen2.demo", "password": "motcua-demo"}),
    "GET /api/v1/me": lambda w: Probe("/api/v1/me"),
    "POST /api/v1/files": lambda w: Probe("/api/v1/files", "pdf", multipart=True),
    "GET /api/v1/files/{file_id}": lambda w: Probe(f"/api/v1/files/{w.new_dossier_file}"),
    "GET /api/v1/files/{file_id}/content": lambda w: Probe(f"/api/v1/files/{w.new_dossier_file}/content"),
    "GET /api/v1/files/{file_id}/archive": lambda w: Probe(f"/api/v1/files/{w.scan}/archive"),
    "GET /api/v1/files/{file_id}/thumbnail": lambda w: Probe(f"/api/v1/files/{w.scan}/thumbnail"),
    "GET /api/v1/dossiers/{code}/files/{file_id}/archive": lambda w: Probe(
        f"/api/v1/dossiers/{w.new_dossier}/files/{w.scan}/archive"),
    "GET /api/v1/dossiers/{code}/files/{file_id}/thumbnail": lambda w: Probe(
        f"/api/v1/dossiers/{w.new_dossier}/files/{w.scan}/thumbnail"),
    "POST /api/v1/dossiers/{code}/digitize": lambda w: Probe(f"/api/v1/dossiers/{w.new_dossier}/digitize",
                                                              {"components": [{"code": "to_khai"}]}),
    "POST /api/v1/dossiers": lambda w: Probe("/api/v1/dossiers", "submission"),
    "GET /api/v1/dossiers": lambda w: Probe("/api/v1/dossiers"),
    "GET /api/v1/dossiers/{code}": lambda w: Probe(f"/api/v1/dossiers/{w.new_dossier}"),
    "POST /api/v1/dossiers/{code}/actions/{action}": lambda w: Probe(
        f"/api/v1/dossiers/{w.new_dossier}/actions/accept", {}),
    "GET /api/v1/dossiers/{code}/files/{file_id}": lambda w: Probe(
        f"/api/v1/dossiers/{w.new_dossier}/files/{w.new_dossier_file}"),
    "POST /api/v1/dossiers/{code}/rating": lambda w: Probe(f"/api/v1/dossiers/{w.settled_dossier}/rating",
                                                            {"score": 4, "comment": "Tốt"}),
    "GET /api/v1/dossiers/{code}/slips/{kind}.pdf": lambda w: Probe(
        f"/api/v1/dossiers/{w.settled_dossier}/slips/receipt.pdf"),
    "GET /api/v1/track/{code}": lambda w: Probe(f"/api/v1/track/{w.new_dossier}?key={w.lookup_key}"),
    "GET /api/v1/notifications": lambda w: Probe("/api/v1/notifications"),
    "POST /api/v1/notifications/{id}/read": lambda w: Probe(f"/api/v1/notifications/{w.notification}/read", {}),
    "GET /api/v1/results": lambda w: Probe("/api/v1/results"),
    "GET /api/v1/results/{code}": lambda w: Probe(f"/api/v1/results/{w.result}"),
    "GET /api/v1/results/{code}/file": lambda w: Probe(f"/api/v1/results/{w.result}/file"),
    "POST /api/v1/results/{code}/cancel": lambda w: Probe(f"/api/v1/results/{w.result}/cancel",
                                                           {"reason": "Cấp nhầm đối tượng"}),
    "POST /api/v1/results/{code}/replace": lambda w: Probe(f"/api/v1/results/{w.result}/replace",
                                                            {"reason": "Sửa lỗi chính tả"}),
    "GET /api/v1/verify/{code}": lambda w: Probe(f"/api/v1/verify/{w.result}"),
    "POST /api/v1/verify": lambda w: Probe("/api/v1/verify", {"code": w.result}, multipart=True),
    "POST /api/v1/petitions": lambda w: Probe("/api/v1/petitions", {
        "title": "Góp ý thủ tục", "content": "Nên rút ngắn thời gian.", "kind": "feedback", "procedure": "1.013133",
        "name": "Người dân", "email": "nguoidan@example.vn"}),
    "GET /api/v1/petitions": lambda w: Probe("/api/v1/petitions"),
    "GET /api/v1/petitions/published": lambda w: Probe("/api/v1/petitions/published"),
    "GET /api/v1/petitions/{code}": lambda w: Probe(f"/api/v1/petitions/{w.petition}"),
    "POST /api/v1/petitions/{code}/actions/{action}": lambda w: Probe(
        f"/api/v1/petitions/{w.petition}/actions/classify", {"category": "regulation"}),
    "POST /api/v1/petitions/{code}/satisfaction": lambda w: Probe(
        f"/api/v1/petitions/{w.answered_petition}/satisfaction", {"satisfied": True}),
    "OPTIONS /api/v1/uploads": lambda w: Probe("/api/v1/uploads", headers=TUS),
    "POST /api/v1/uploads": lambda w: Probe("/api/v1/uploads", headers={
        **TUS, "Upload-Length": str(len(MINIMAL_PDF)), "Upload-Metadata": "filename ZG9uLnBkZg=="}),
    "HEAD /api/v1/uploads/{upload_id}": lambda w: Probe(w.upload, headers=TUS),
    "GET /api/v1/uploads/{upload_id}": lambda w: Probe(w.upload, headers=TUS),
    "PATCH /api/v1/uploads/{upload_id}": lambda w: Probe(w.upload, headers={**TUS, "Upload-Offset": "0"},
                                                         raw=MINIMAL_PDF[:10]),
    "DELETE /api/v1/uploads/{upload_id}": lambda w: Probe(w.doomed_upload, headers=TUS),
    "GET /api/v1/reports/bottlenecks": lambda w: Probe("/api/v1/reports/bottlenecks?unit=000.05.12.H26"),
    "GET /api/v1/reports/at-risk": lambda w: Probe("/api/v1/reports/at-risk?unit=000.05.12.H26"),
    "GET /api/v1/warehouse/documents": lambda w: Probe("/api/v1/warehouse/documents"),
    "GET /api/v1/warehouse/documents/{document_id}": lambda w: Probe(
        f"/api/v1/warehouse/documents/{w.warehouse_document}"),
    "GET /api/v1/warehouse/documents/{document_id}/file": lambda w: Probe(
        f"/api/v1/warehouse/documents/{w.warehouse_document}/file"),
    "GET /api/v1/warehouse/offers": lambda w: Probe("/api/v1/warehouse/offers?procedure=1.001733"),
    "GET /api/v1/reports/digitization": lambda w: Probe("/api/v1/reports/digitization"),
    "GET /api/v1/index/scorecard": lambda w: Probe("/api/v1/index/scorecard?unit=000.05.12.H26"),
    "GET /api/v1/index/indicators/{indicator_id}/items":
        lambda w: Probe("/api/v1/index/indicators/2.1/items?unit=000.05.12.H26"),
    "GET /api/v1/index/trend": lambda w: Probe("/api/v1/index/trend?unit=000.05.12.H26"),
    "GET /api/v1/index/ranking": lambda w: Probe("/api/v1/index/ranking?unit=000.05.12.H26"),
    "GET /api/v1/export/dossiers.jsonl": lambda w: Probe("/api/v1/export/dossiers.jsonl?unit=000.05.12.H26"),
    # Integrations and webhooks: system administrators only (none of the callers here).
    "GET /api/v1/integrations/dead-letters": lambda w: Probe("/api/v1/integrations/dead-letters"),
    "POST /api/v1/integrations/dead-letters/replay": lambda w: Probe("/api/v1/integrations/dead-letters/replay",
                                                                     {"consumer": "national_sync"}),
    "POST /api/v1/integrations/dead-letters/{id}/replay": lambda w: Probe(
        f"/api/v1/integrations/dead-letters/{w.dead_letter}/replay", {}),
    "GET /api/v1/webhooks": lambda w: Probe("/api/v1/webhooks"),
    "POST /api/v1/webhooks": lambda w: Probe("/api/v1/webhooks", {
        "name": "Nền tảng chia sẻ", "url": "https://lgsp.example.vn/hooks", "topics": ["dossier.status_changed"]}),
    "GET /api/v1/webhooks/{id}": lambda w: Probe(f"/api/v1/webhooks/{w.webhook}"),
    "PATCH /api/v1/webhooks/{id}": lambda w: Probe(f"/api/v1/webhooks/{w.webhook}", {"active": False}),
    "DELETE /api/v1/webhooks/{id}": lambda w: Probe(f"/api/v1/webhooks/{w.webhook}"),
    "POST /api/v1/dossiers/{code}/payments": lambda w: Probe(f"/api/v1/dossiers/{w.paying_dossier}/payments", {}),
    "GET /api/v1/dossiers/{code}/payments": lambda w: Probe(f"/api/v1/dossiers/{w.paying_dossier}/payments"),
    "GET /api/v1/dossiers/{code}/payments/{reference}/receipt.pdf": lambda w: Probe(
        f"/api/v1/dossiers/{w.paying_dossier}/payments/{w.paid_payment}/receipt.pdf"),
    "GET /api/v1/me/notifications": lambda w: Probe("/api/v1/me/notifications"),
    "PUT /api/v1/me/notifications": lambda w: Probe("/api/v1/me/notifications", {"sms": False, "language": "en"}),
    "POST /api/v1/payments/callback/{gateway}": lambda w: Probe("/api/v1/payments/callback/sandbox", gateways.signed(
        {"ref": w.pending_payment, "amount": 30000, "status": "success", "txn": "SBX-PROBE"})),
}


@pytest.fixture
def world(api, frozen_clock) -> World:  # noqa: F811 - the imported fixture
    citizen, onestop, handler, leader = (api(u) for u in ("citizen.demo", "onestop.demo", "handler.demo",
                                                          "leader.demo"))
    body = first_registration(citizen)
    scan = citizen.upload("cccd.png", make_scan(["Căn cước công dân"]))
    body["components"][2] = {"code": "cccd", "files": [scan]}
    answer = citizen.post("/api/v1/dossiers", body)
    assert answer.status_code == 201, answer.content
    new = answer.json()
    ocr.run_pending()
    assert Digitization.objects.get(file_id=scan).state == "done"
    settled = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    assert onestop.act(settled, "accept").status_code == 200
    frozen_clock.advance(timedelta(hours=2))
    assert handler.act(settled, "complete_step").status_code == 200
    approved = leader.act(settled, "approve", {"note": "Đồng ý"})
    assert approved.status_code == 200, approved.content
    assert onestop.act(settled, "return_result", {"method": "online"}).status_code == 200
    officer_y = save_staff(username="onestop.y", full_name="Cán bộ Đồng Đăng", email="y@example.vn",
                           password="motcua-demo")
    assign_role(officer_y, Unit.objects.get(agency_code="000.03.07.H39"), "onestop")
    deliver_pending()  # the outbox consumers write A's in-app notifications
    notification = Notification.objects.filter(user=citizen.user).order_by("id").first()
    assert notification is not None
    about = {"title": "Hồ sơ chậm", "content": "Hồ sơ của tôi chưa được tiếp nhận.", "kind": "complaint",
             "dossier": new["code"]}
    petition = petitions.submit(citizen.user, petitions.NewPetition(**about))
    answered = petitions.submit(citizen.user, petitions.NewPetition(**about))
    officer = onestop.user
    answered = petitions.act(officer, answered, "classify", {"category": "regulation"})
    answered = petitions.act(officer, answered, "answer", {"answer": "Đã tiếp nhận và xử lý."})
    answered = petitions.act(officer, answered, "publish", {})
    uploads = [citizen.client.post("/api/v1/uploads", headers={
        **TUS, "authorization": f"Bearer {citizen.token}", "Upload-Length": str(len(MINIMAL_PDF)),
        "Upload-Metadata": "filename ZG9uLnBkZg=="}) for _ in range(2)]
    assert [u.status_code for u in uploads] == [201, 201], uploads[0].content
    webhook = WebhookSubscription.objects.create(name="LGSP", url="https://lgsp.example.vn/hooks",
                                                 secret="s" * 32)
    dead = OutboxDelivery.objects.filter(event__key=new["code"]).first()
    OutboxDelivery.objects.filter(pk=dead.pk).update(status=DeliveryStatus.FAILED, last_error="HTTP 422")
    paying = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    assert onestop.act(paying, "accept").status_code == 200
    assert onestop.act(paying, "request_payment", {"amount_vnd": 50000}).status_code == 200
    paid = citizen.post(f"/api/v1/dossiers/{paying}/payments").json()["payment"]["reference"]
    payments.callback("sandbox", gateways.signed({"ref": paid, "amount": 50000, "status": "success", "txn": "SBX-1"}))
    assert onestop.act(paying, "request_payment", {"amount_vnd": 30000}).status_code == 200
    pending = citizen.post(f"/api/v1/dossiers/{paying}/payments").json()["payment"]["reference"]
    return World(
        dead_letter=dead.pk, webhook=webhook.pk,
        paying_dossier=paying, paid_payment=paid, pending_payment=pending,
        upload=uploads[0]["Location"], doomed_upload=uploads[1]["Location"], petition=petition.code,
        answered_petition=answered.code,
        new_dossier=new["code"], new_dossier_file=new["components"][0]["files"][0]["id"], scan=scan,
        lookup_key=new["lookup_key"], settled_dossier=settled, result=approved.json()["results"][0],
        notification=notification.pk,
        warehouse_document=str(WarehouseDocument.objects.get(result__code=approved.json()["results"][0]).pk),
    )


def bearer(username: str, scope: str = "*") -> dict[str, str]:
    from motcua.identity.models import User

    raw, _ = issue_token(User.objects.get(username=username), scope)
    return {"authorization": f"Bearer {raw}"}


def call(client: Client, operation: str, probe: Probe, headers: dict[str, str], username: str | None) -> int:
    method = operation.split(" ", 1)[0]
    body = probe.body
    if body == "pdf":  # a fresh upload each time (an uploaded file object is read once)
        body = {"file": SimpleUploadedFile("don.pdf", MINIMAL_PDF)}
    elif body == "submission":  # a valid submission with files the caller's account uploaded (A's when anonymous);
        # staff submit at the desk (channel 1) for citizen B
        submitter = Api(client, username or "citizen.demo")
        desk = {"channel": 1, "owner": {"name": "Trần Thị Bình", "id_number": "001198054321", "address": "40 Đội Cấn"}}
        body = first_registration(submitter, **(desk if submitter.user.is_staff_member else {}))
    headers = {**headers, **probe.headers}
    with transaction.atomic():
        if method == "GET":
            status = client.get(probe.path, headers=headers).status_code
        elif method == "PATCH" and probe.raw is None:
            status = client.patch(probe.path, body or {}, content_type="application/json",
                                  headers=headers).status_code
        elif method in ("HEAD", "OPTIONS", "DELETE", "PATCH"):
            status = client.generic(method, probe.path, data=probe.raw or b"",
                                    content_type="application/offset+octet-stream", headers=headers).status_code
        elif method == "PUT":
            status = client.put(probe.path, body or {}, content_type="application/json", headers=headers).status_code
        elif probe.multipart:
            status = client.post(probe.path, body, headers=headers).status_code
        else:
            status = client.post(probe.path, body or {}, content_type="application/json", headers=headers).status_code
        transaction.set_rollback(True)
    return status


def test_every_operation_is_in_the_matrix() -> None:
    ops, table = operations(), read_matrix()
    assert sorted(set(ops) - set(table)) == [], "operations missing from tests/authz/matrix.csv"
    assert sorted(set(table) - set(ops)) == [], "rows of tests/authz/matrix.csv that are no operation"
    assert sorted(set(ops) - set(PROBES)) == [], "operations without a probe in tests/authz/test_matrix.py"
    for operation, row in table.items():
        assert set(row.values()) <= {"allow", "deny"}, operation


def test_every_caller_gets_what_the_matrix_says(world, client, settings) -> None:
    settings.LOGIN_RATE = (10_000, 60)
    settings.MOTCUA_VERIFY_RATE = (10_000, 60)
    table = read_matrix()
    accounts = {"anonymous": None, "citizen_a": "citizen.demo", "citizen_b": "citizen2.demo",
                "officer_x": "onestop.demo", "officer_y": "onestop.y", "leader_x": "leader.demo",
                "client_scope": "onestop.demo", "client_noscope": "onestop.demo"}
    headers = {caller: bearer(username) for caller, username in accounts.items() if username}
    headers["anonymous"] = {}
    headers["client_noscope"] = bearer("onestop.demo", "fields:read")
    wrong: list[str] = []
    for operation in operations():
        method, path = operation.split(" ", 1)
        probe = PROBES[operation](world)
        for caller in CALLERS:
            sent = (bearer("onestop.demo", scope_for(method, path)) if caller == "client_scope"
                    else headers[caller])
            client.logout()
            status = call(client, operation, probe, sent, accounts[caller])
            got = "allow" if status in ALLOWED else "deny" if status in DENIED else f"error {status}"
            if got != table[operation][caller]:
                wrong.append(f"{operation:55} {caller:15} expected {table[operation][caller]}, got {got} ({status})")
    assert wrong == [], "\n" + "\n".join(wrong)
