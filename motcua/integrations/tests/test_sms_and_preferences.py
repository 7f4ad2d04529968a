"""SMS notifications (console and HTTP gateway, retried by the outbox when the gateway fails), templates per
language, and applicants' preferences (consumers honour them; API and portal page)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail

from motcua.integrations import outbox
from motcua.integrations.models import DeliveryStatus, Notification, NotificationPreference, OutboxDelivery
from motcua.integrations.sms import normalized_phone, sms_text

from .conftest import emit_status_change, status_payload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_the_consumers_under_test() -> Iterator[None]:
    """Overrides the folder's fixture: the SMS consumer stays registered here."""
    others = [c for name, c in outbox.consumers().items() if name not in ("notifications", "email", "sms")]
    for entry in others:
        outbox.unregister(entry.name)
    yield
    for entry in others:
        outbox.register(entry.name, entry.topics, entry.handler, atomic=entry.atomic)


class Gateway(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    failures_left = 0

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if Gateway.failures_left > 0:
            Gateway.failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        Gateway.received.append({"body": body, "authorization": self.headers.get("Authorization")})
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def sms_gateway(settings) -> Iterator[type[Gateway]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.MOTCUA_SMS_BACKEND = "http"
    settings.MOTCUA_SMS_HTTP_URL = f"http://127.0.0.1:{server.server_address[1]}/send"
    settings.MOTCUA_SMS_HTTP_TOKEN = "sms-token"
    Gateway.received, Gateway.failures_left = [], 0
    try:
        yield Gateway
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def with_phone(applicant):
    applicant.phone = "0912 345 678"
    applicant.save()
    return applicant


def sms_delivery(event) -> OutboxDelivery:
    return OutboxDelivery.objects.get(event=event, consumer="sms")


def test_a_failing_sms_gateway_is_retried_by_the_outbox(with_phone, sms_gateway, frozen_clock, dummy_tasks):
    sms_gateway.failures_left = 1
    event = emit_status_change(with_phone)
    outbox.deliver_pending()
    failed = sms_delivery(event)
    assert (failed.status, failed.attempts) == (DeliveryStatus.PENDING, 1) and "503" in failed.last_error
    assert sms_gateway.received == []
    frozen_clock.advance(timedelta(seconds=30))
    assert outbox.deliver_pending() == 1
    assert sms_delivery(event).status == DeliveryStatus.DELIVERED
    assert sms_gateway.received == [{"body": {
        "to": "0912345678",
        "text": "Ho so 000.00.00.H01-261123-0001: Da tiep nhan. Hen tra: 30/11/2026 10:00. Tra cuu: "
                "https://dichvucong.example.vn/track/000.00.00.H01-261123-0001?key=K7Q2+9XJ4",
    }, "authorization": "Bearer sms-token"}]


def test_sms_follows_the_preferences(with_phone, sms_gateway, dummy_tasks, settings):
    NotificationPreference.objects.create(user=with_phone, language="en")
    emit_status_change(with_phone)
    outbox.deliver_pending()
    assert sms_gateway.received[0]["body"]["text"].startswith("Dossier 000.00.00.H01-261123-0001: Accepted. Due:")
    settings.MOTCUA_SMS_ASCII = False
    assert sms_text(status_payload(with_phone), "vi").startswith("Hồ sơ 000.00.00.H01-261123-0001: Đã tiếp nhận.")
    NotificationPreference.objects.filter(user=with_phone).update(sms=False)
    emit_status_change(with_phone, "000.00.00.H01-261123-0002")
    outbox.deliver_pending()
    assert len(sms_gateway.received) == 1


def test_no_sms_without_a_phone_or_an_account(applicant, sms_gateway, dummy_tasks):
    emit_status_change(applicant)
    emit_status_change(applicant, "000.00.00.H01-261123-0002", applicant_id=None)
    outbox.deliver_pending()
    assert sms_gateway.received == []
    assert set(OutboxDelivery.objects.filter(consumer="sms").values_list("status", flat=True)) == {"delivered"}
    assert normalized_phone("12") == "" and normalized_phone("+84 912-345-678") == "+84912345678"


def test_the_console_backend_logs_the_sms(with_phone, dummy_tasks, caplog):
    caplog.set_level("INFO", logger="motcua.integrations.sms")
    emit_status_change(with_phone)
    outbox.deliver_pending()
    assert "SMS to 0912345678: Ho so 000.00.00.H01-261123-0001: Da tiep nhan." in caplog.text


def test_email_and_in_app_channels_can_be_turned_off(applicant, dummy_tasks):
    NotificationPreference.objects.create(user=applicant, email=False, in_app=False)
    emit_status_change(applicant)
    outbox.deliver_pending()
    assert mail.outbox == [] and Notification.objects.count() == 0
    NotificationPreference.objects.filter(user=applicant).update(email=True)
    emit_status_change(applicant, "000.00.00.H01-261123-0002")
    outbox.deliver_pending()
    assert len(mail.outbox) == 1 and Notification.objects.count() == 0
    assert mail.outbox[0].body.startswith("Kính gửi Nguyễn Văn An,\n\nThủ tục: Đăng ký nghĩa vụ quân sự lần đầu\n")
    assert "\n-----\n\nDear Nguyễn Văn An,\n\nProcedure: First military service registration\n" in mail.outbox[0].body


def test_the_settings_api(with_phone, client):
    from motcua.identity.services import issue_token

    token, _ = issue_token(with_phone, "*")
    auth = {"authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me/notifications").status_code == 401
    assert client.get("/api/v1/me/notifications", headers=auth).json() == {
        "email": True, "sms": True, "in_app": True, "language": "vi", "phone": "0912 345 678"}
    changed = client.put("/api/v1/me/notifications", {"sms": False, "language": "en"},
                         content_type="application/json", headers=auth)
    assert changed.status_code == 200 and changed.json()["sms"] is False and changed.json()["language"] == "en"
    bad = client.put("/api/v1/me/notifications", {"language": "fr"}, content_type="application/json", headers=auth)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "language"
    pref = NotificationPreference.objects.get(user=with_phone)
    assert (pref.email, pref.sms, pref.in_app, pref.language) == (True, False, True, "en")


def test_the_settings_page(with_phone, client):
    client.force_login(with_phone)
    page = client.get("/account/notifications/settings/").content.decode()
    assert 'data-testid="notification-settings"' in page and "0912 345 678" in page
    saved = client.post("/account/notifications/settings/", {"email": "on", "language": "en"})
    assert saved.status_code == 302
    pref = NotificationPreference.objects.get(user=with_phone)
    assert (pref.email, pref.sms, pref.in_app, pref.language) == (True, False, False, "en")
    assert 'name="sms" id="id_sms">' in client.get("/account/notifications/settings/").content.decode()
