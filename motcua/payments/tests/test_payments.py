"""Paying a dossier's fees online: start, signed callbacks (once only), receipts, reconciliation, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command

from motcua.catalog.models import Fee, Procedure
from motcua.dossiers.models import Dossier
from motcua.dossiers.tests.conftest import first_registration
from motcua.integrations.models import OutboxEvent
from motcua.payments import gateways, services
from motcua.payments.models import Payment, SandboxCharge

from .conftest import callback

pytestmark = pytest.mark.django_db


def start(citizen, code: str) -> dict:
    answer = citizen.post(f"/api/v1/dossiers/{code}/payments")
    assert answer.status_code == 201, answer.content
    return answer.json()


def test_a_signed_success_pays_the_obligation_once(waiting, client):
    citizen, code = waiting["citizen"], waiting["code"]
    listed = citizen.get(f"/api/v1/dossiers/{code}/payments").json()
    assert listed["due"] == [{"purpose": "obligation", "amount_vnd": 50000, "items": [
        {"name_vi": "Nghĩa vụ tài chính", "name_en": "Financial obligation", "amount_vnd": 50000}]}]
    started = start(citizen, code)
    ref = started["payment"]["reference"]
    assert started["redirect_url"].startswith(f"/sandbox/pay/{ref}/")
    assert started["payment"]["status"] == "pending"
    assert start(citizen, code)["payment"]["reference"] == ref  # the pending one is reused
    fields = gateways.signed({"ref": ref, "amount": 50000, "status": "success", "txn": "SBX1"})
    first = callback(client, fields)
    assert first.status_code == 200 and first.json() == {"reference": ref, "status": "success", "changed": True}
    again = callback(client, fields)
    assert again.status_code == 200 and again.json()["changed"] is False
    dossier = Dossier.objects.get(code=code)
    assert dossier.status == 2 and dossier.paused_since is None
    paid = dossier.events.filter(action="pay")
    assert paid.count() == 1
    assert paid.get().data.items() >= {"online": True, "gateway": "sandbox", "reference": ref,
                                       "transaction_id": "SBX1", "payment_status": "success"}.items()
    assert OutboxEvent.objects.filter(key=code, payload__action="pay").count() == 1
    listed = citizen.get(f"/api/v1/dossiers/{code}/payments").json()
    assert listed["due"] == [] and listed["payments"][0]["receipt_number"].startswith("BL")
    pdf = citizen.client.get(f"/api/v1/dossiers/{code}/payments/{ref}/receipt.pdf", headers=citizen.headers())
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    client.force_login(citizen.user)
    page = client.get(f"/dossiers/{code}/payments/{ref}/").content.decode()
    assert listed["payments"][0]["receipt_number"] in page and "50.000 ₫" in page and 'href="receipt.pdf"' in page
    assert client.get(f"/dossiers/{code}/payments/{ref}/receipt.pdf")["Content-Type"] == "application/pdf"


def test_a_bad_signature_is_refused_and_writes_nothing(waiting, client):
    ref = start(waiting["citizen"], waiting["code"])["payment"]["reference"]
    fields = gateways.signed({"ref": ref, "amount": 50000, "status": "success", "txn": "X"})
    forged = callback(client, {**fields, "txn": "OTHER"})
    assert forged.status_code == 403 and forged.json()["errors"][0]["rule"] == "signature"
    other_key = gateways.signed({"ref": ref, "amount": 50000, "status": "success", "txn": "X"}, key=b"not-ours")
    assert callback(client, other_key).status_code == 403
    assert Payment.objects.get(reference=ref).status == "pending"
    assert Dossier.objects.get(code=waiting["code"]).status == 6
    wrong_amount = callback(client, gateways.signed({"ref": ref, "amount": 1, "status": "success", "txn": "X"}))
    assert wrong_amount.status_code == 409 and wrong_amount.json()["errors"][0]["field"] == "amount"
    unknown = callback(client, gateways.signed({"ref": "MCNOPE", "amount": 1, "status": "success", "txn": "X"}))
    assert unknown.status_code == 404
    assert callback(client, fields, gateway="nope").status_code == 404
    bad_status = callback(client, gateways.signed({"ref": ref, "amount": 50000, "status": "paid", "txn": "X"}))
    assert bad_status.status_code == 422 and bad_status.json()["errors"][0]["field"] == "status"
    assert Payment.objects.get(reference=ref).status == "pending"


def test_a_failed_payment_leaves_the_amount_due(waiting, client):
    citizen, code = waiting["citizen"], waiting["code"]
    ref = start(citizen, code)["payment"]["reference"]
    assert callback(client, gateways.signed({"ref": ref, "amount": 50000, "status": "failed", "txn": "F1"})
                    ).json()["status"] == "failed"
    assert Dossier.objects.get(code=code).status == 6
    assert citizen.get(f"/api/v1/dossiers/{code}/payments").json()["due"][0]["amount_vnd"] == 50000
    assert start(citizen, code)["payment"]["reference"] != ref
    assert citizen.client.get(f"/api/v1/dossiers/{code}/payments/{ref}/receipt.pdf",
                              headers=citizen.headers()).status_code == 404


def test_only_the_applicant_starts_a_payment_and_only_when_something_is_due(waiting, api):
    code = waiting["code"]
    officer = waiting["onestop"]
    refused = officer.post(f"/api/v1/dossiers/{code}/payments")
    assert refused.status_code == 403
    assert officer.get(f"/api/v1/dossiers/{code}/payments").json()["due"] == []
    assert api("citizen2.demo").post(f"/api/v1/dossiers/{code}/payments").status_code == 404
    citizen = waiting["citizen"]
    other = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    nothing = citizen.post(f"/api/v1/dossiers/{other}/payments")
    assert nothing.status_code == 409 and nothing.json()["errors"][0]["rule"] == "nothing_due"


def test_fees_due_from_submission_are_paid_without_changing_the_status(api, client, settings):
    citizen = api("citizen.demo")
    version = Procedure.objects.get(code="1.013133").current_version
    Fee.objects.create(version=version, kind="fee", name_vi="Lệ phí", name_en="Fee", amount_vnd=20000)
    code = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    due = citizen.get(f"/api/v1/dossiers/{code}/payments").json()["due"]
    assert due == [{"purpose": "fees", "amount_vnd": 20000,
                    "items": [{"name_vi": "Lệ phí", "name_en": "Fee", "amount_vnd": 20000}]}]
    ref = start(citizen, code)["payment"]["reference"]
    callback(client, gateways.signed({"ref": ref, "amount": 20000, "status": "success", "txn": "T"}))
    dossier = Dossier.objects.get(code=code)
    assert dossier.status == 1
    assert dossier.events.get(action="pay").data["purpose"] == "fees"
    assert citizen.get(f"/api/v1/dossiers/{code}/payments").json()["due"] == []
    settings.MOTCUA_PAYMENT_FEES_AT_SUBMISSION = False
    other = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    assert citizen.get(f"/api/v1/dossiers/{other}/payments").json()["due"] == []


def test_reconciliation_settles_a_lost_callback_and_expires_abandoned_payments(waiting, frozen_clock, api, client):
    citizen, code = waiting["citizen"], waiting["code"]
    ref = start(citizen, code)["payment"]["reference"]
    SandboxCharge.objects.filter(reference=ref).update(status="success", transaction_id="SBXLOST")
    assert services.reconcile().asked == 0  # too recent to ask about
    frozen_clock.advance(timedelta(minutes=16))
    done = services.reconcile()
    assert (done.asked, done.settled) == (1, 1)
    payment = Payment.objects.get(reference=ref)
    assert (payment.status, payment.settled_by, payment.transaction_id) == ("success", "reconciliation", "SBXLOST")
    assert Dossier.objects.get(code=code).status == 2
    # The gateway's own callback, arriving late, changes nothing.
    late = callback(client, gateways.signed({"ref": ref, "amount": 50000, "status": "success", "txn": "SBXLOST"}))
    assert late.json()["changed"] is False
    assert Dossier.objects.get(code=code).events.filter(action="pay").count() == 1

    onestop = waiting["onestop"]
    assert onestop.act(code, "request_payment", {"amount_vnd": 70000}).json()["status"] == 6
    abandoned = start(citizen, code)["payment"]["reference"]
    frozen_clock.advance(timedelta(minutes=30))
    assert services.reconcile().settled == 0 and Payment.objects.get(reference=abandoned).status == "pending"
    frozen_clock.advance(timedelta(days=1))
    call_command("reconcile_payments")
    assert Payment.objects.get(reference=abandoned).status == "expired"
    # Money taken after expiry still counts: a late success settles it.
    assert callback(client, gateways.signed({"ref": abandoned, "amount": 70000, "status": "success", "txn": "L"})
                    ).json() == {"reference": abandoned, "status": "success", "changed": True}
    assert Dossier.objects.get(code=code).status == 2


def test_the_national_sync_reports_an_online_payment(waiting, client):
    from motcua.integrations import national

    citizen, code = waiting["citizen"], waiting["code"]
    assert national.map_dossier(Dossier.objects.get(code=code))["ThanhToanTrucTuyen"] == 0
    ref = start(citizen, code)["payment"]["reference"]
    callback(client, gateways.signed({"ref": ref, "amount": 50000, "status": "success", "txn": "SBX-NAT"}))
    data = national.map_dossier(Dossier.objects.get(code=code))
    assert data["ThanhToanTrucTuyen"] == 1
    assert [h["HanhDong"] for h in data["QuaTrinhXuLy"]][-1] == "pay"
