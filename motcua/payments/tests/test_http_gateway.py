"""The `http` adapter against a tiny gateway started by the test on loopback: signed redirect URL, signed query for
reconciliation, and a gateway that answers garbage or nothing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from motcua.dossiers.models import Dossier
from motcua.identity.models import User
from motcua.payments import gateways, services
from motcua.payments.models import Payment

pytestmark = pytest.mark.django_db

SECRET = "shared-with-the-gateway"


class FakeGateway(BaseHTTPRequestHandler):
    ledger: dict[str, dict[str, str]] = {}
    garbage = False

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        url = urlsplit(self.path)
        fields = dict(parse_qsl(url.query))
        if url.path != "/query" or gateways.sign(fields, SECRET.encode()) != fields.get("signature"):
            self.send_response(403)
            self.end_headers()
            return
        body = b"not json" if self.garbage else json.dumps(
            gateways.signed(self.ledger.get(fields["ref"], {"ref": fields["ref"], "amount": "0",
                                                              "status": "pending", "txn": ""}),
                            SECRET.encode())).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway(settings) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.MOTCUA_PAYMENT_GATEWAY = "http"
    settings.MOTCUA_PAYMENT_HTTP_URL = url
    settings.MOTCUA_PAYMENT_SECRET = SECRET
    settings.MOTCUA_PAYMENT_MERCHANT = "BQP01"
    FakeGateway.ledger, FakeGateway.garbage = {}, False
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def test_the_redirect_url_is_signed_and_reconciliation_asks_the_gateway(waiting, gateway, frozen_clock):
    dossier = Dossier.objects.get(code=waiting["code"])
    started = services.start(User.objects.get(username="citizen.demo"), dossier)
    url = urlsplit(started.redirect_url)
    assert started.redirect_url.startswith(f"{gateway}/pay?")
    fields = dict(parse_qsl(url.query))
    assert fields["signature"] == gateways.sign(fields, SECRET.encode())
    assert (fields["merchant"], fields["amount"], fields["ref"]) == ("BQP01", "50000", started.payment.reference)
    assert fields["callback_url"].endswith("/api/v1/payments/callback/http")
    ref = started.payment.reference
    frozen_clock.advance(timedelta(minutes=20))
    assert services.reconcile().settled == 0  # the gateway says pending
    FakeGateway.garbage = True
    assert services.reconcile().errors == 1
    FakeGateway.garbage = False
    FakeGateway.ledger[ref] = {"ref": ref, "amount": "50000", "status": "success", "txn": "VNP14000001"}
    assert services.reconcile().settled == 1
    payment = Payment.objects.get(reference=ref)
    assert (payment.status, payment.transaction_id) == ("success", "VNP14000001")
    assert Dossier.objects.get(pk=dossier.pk).status == 2


def test_a_callback_signed_with_the_sandbox_key_is_refused_when_a_secret_is_set(waiting, gateway, client):
    dossier = Dossier.objects.get(code=waiting["code"])
    ref = services.start(User.objects.get(username="citizen.demo"), dossier).payment.reference
    fields = {"ref": ref, "amount": "50000", "status": "success", "txn": "T"}
    forged = client.post("/api/v1/payments/callback/http", gateways.signed(fields, b"guess"),
                         content_type="application/json")
    assert forged.status_code == 403
    ok = client.post("/api/v1/payments/callback/http", gateways.signed(fields, SECRET.encode()),
                     content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "success"


def test_an_unreachable_gateway_is_an_error_for_reconciliation_not_a_crash(waiting, settings, frozen_clock):
    settings.MOTCUA_PAYMENT_GATEWAY = "http"
    settings.MOTCUA_PAYMENT_HTTP_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.MOTCUA_PAYMENT_HTTP_TIMEOUT = 2
    dossier = Dossier.objects.get(code=waiting["code"])
    services.start(User.objects.get(username="citizen.demo"), dossier)
    frozen_clock.advance(timedelta(minutes=20))
    assert services.reconcile().errors == 1
