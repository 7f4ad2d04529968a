"""Webhooks on the outbox (signed, filtered, ordered per key) and the operators' API: subscriptions, dead letters."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from motcua.dossiers.tests.conftest import Api, api, first_registration  # noqa: F401 - api: the fixture
from motcua.integrations import national, outbox, webhooks
from motcua.integrations.models import DeliveryStatus, OutboxDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db
SECRET = "a-shared-secret-of-the-subscriber"


class Receiver:
    """A webhook subscriber on loopback recording (headers, body); answers `status` (a list: one per call, then 200)."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.calls.append((dict(self.headers.items()), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _headers, body in self.calls]


@pytest.fixture
def family() -> Iterator[None]:
    """The webhook consumer family (the integrations tests set it aside: put it back)."""
    outbox.register_family(webhooks.PREFIX, webhooks.subscribers, webhooks.deliver, atomic=False, ordered=True)
    yield
    outbox.unregister_family(webhooks.PREFIX)


@pytest.fixture
def receiver(family) -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


def drain() -> None:
    while outbox.deliver_pending(limit=50):
        pass


def submit(citizen: Api) -> str:
    response = citizen.post("/api/v1/dossiers", first_registration(citizen))
    assert response.status_code == 201, response.content
    return response.json()["code"]


def test_signed_events_in_order_and_verifiable_with_the_secret(api, frozen_clock, receiver):  # noqa: F811
    WebhookSubscription.objects.create(name="LGSP", url=receiver.url, secret=SECRET,
                                       topics=["dossier.status_changed"])
    code = submit(api("citizen.demo"))
    assert api("onestop.demo").act(code, "accept").status_code == 200
    drain()
    assert [(e["topic"], e["key"], e["data"]["status"]) for e in receiver.events()] == [
        ("dossier.status_changed", code, 1), ("dossier.status_changed", code, 2)]
    headers, body = receiver.calls[0]
    assert headers["X-Motcua-Event-Id"] == receiver.events()[0]["id"]
    assert headers["X-Motcua-Topic"] == "dossier.status_changed"
    signature = headers["X-Motcua-Signature"]
    assert signature.startswith(f"t={int(frozen_clock.now().timestamp())},v1=")
    assert webhooks.verify(SECRET, signature, body, now=frozen_clock.now())
    assert not webhooks.verify("another-secret-entirely", signature, body, now=frozen_clock.now())
    assert not webhooks.verify(SECRET, signature, body + b" ", now=frozen_clock.now())
    assert not webhooks.verify(SECRET, signature, body, now=frozen_clock.now() + timedelta(hours=1))
    assert not webhooks.verify(SECRET, "t=abc,v1=00", body)


def test_filters_by_topic_unit_and_field(api, frozen_clock, receiver):  # noqa: F811
    def subscribe(**filters: Any) -> str:
        return WebhookSubscription.objects.create(name="x", url=receiver.url, secret=SECRET, **filters).consumer_name

    everything = subscribe()
    this_unit = subscribe(units=["000.05.12.H26"])
    other_unit = subscribe(units=["000.03.07.H39"])
    rated_only = subscribe(topics=["dossier.rated"])
    field = api("citizen.demo").get("/api/v1/procedures/1.013133").json()["field"]
    field_code = field["code"] if isinstance(field, dict) else field
    this_field = subscribe(procedure_fields=[field_code])
    inactive = WebhookSubscription.objects.create(name="off", url=receiver.url, secret=SECRET, active=False)
    code = submit(api("citizen.demo"))
    consumers = set(OutboxDelivery.objects.filter(event__key=code).values_list("consumer", flat=True))
    assert {everything, this_unit, this_field} <= consumers
    assert not {other_unit, rated_only, inactive.consumer_name} & consumers


def test_a_failing_subscriber_is_retried_then_dead_lettered_and_replayed(
        api, frozen_clock, receiver, settings):  # noqa: F811
    settings.MOTCUA_OUTBOX_MAX_ATTEMPTS = 2
    hook = WebhookSubscription.objects.create(name="LGSP", url=receiver.url, secret=SECRET)
    receiver.statuses = [500, 503]
    code = submit(api("citizen.demo"))
    assert api("onestop.demo").act(code, "accept").status_code == 200
    drain()
    frozen_clock.advance(timedelta(minutes=5))
    drain()
    mine = OutboxDelivery.objects.filter(consumer=hook.consumer_name).order_by("event_id")
    assert [d.status for d in mine] == [DeliveryStatus.FAILED, DeliveryStatus.PENDING]
    admin = api("admin.demo")
    listed = admin.get("/api/v1/integrations/dead-letters", consumer="webhook:").json()["items"]
    assert [(d["consumer"], d["key"], d["attempts"]) for d in listed] == [(hook.consumer_name, code, 2)]
    assert "HTTP 503" in listed[0]["error"]
    replayed = admin.post(f"/api/v1/integrations/dead-letters/{listed[0]['id']}/replay")
    assert replayed.status_code == 200 and replayed.json()["attempts"] == 0
    drain()
    assert [e["data"]["status"] for e in receiver.events()[-2:]] == [1, 2]
    assert {d.status for d in mine.all()} == {DeliveryStatus.DELIVERED}
    assert admin.post(f"/api/v1/integrations/dead-letters/{listed[0]['id']}/replay").status_code == 404


def test_a_4xx_is_a_dead_letter_at_once_and_replay_all(api, frozen_clock, receiver):  # noqa: F811
    hook = WebhookSubscription.objects.create(name="LGSP", url=receiver.url, secret=SECRET)
    receiver.statuses = [410]
    submit(api("citizen.demo"))
    drain()
    [dead] = OutboxDelivery.objects.filter(consumer=hook.consumer_name, status=DeliveryStatus.FAILED)
    assert dead.attempts == 1 and "HTTP 410" in dead.last_error
    answer = api("admin.demo").post("/api/v1/integrations/dead-letters/replay", {"consumer": hook.consumer_name})
    assert answer.json() == {"replayed": 1}
    drain()
    assert OutboxDelivery.objects.get(pk=dead.pk).status == DeliveryStatus.DELIVERED


def test_webhook_crud_for_system_administrators_only(api, family):  # noqa: F811
    admin, officer = api("admin.demo"), api("onestop.demo")
    body = {"name": "Nền tảng chia sẻ dữ liệu", "url": "https://lgsp.example.vn/hooks",
            "topics": ["dossier.status_changed", "result.issued"], "units": ["000.05.12.H26"]}
    assert officer.post("/api/v1/webhooks", body).status_code == 403
    assert officer.get("/api/v1/integrations/dead-letters").status_code == 403
    created = admin.post("/api/v1/webhooks", body)
    assert created.status_code == 201, created.content
    hook = created.json()
    assert len(hook["secret"]) >= 32 and hook["consumer"] == f"webhook:{hook['id']}"
    assert "secret" not in admin.get(f"/api/v1/webhooks/{hook['id']}").json()
    assert [h["id"] for h in admin.get("/api/v1/webhooks").json()["items"]] == [hook["id"]]
    patched = admin.client.patch(f"/api/v1/webhooks/{hook['id']}", {"active": False}, content_type="application/json",
                                 headers=admin.headers())
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert patched.json()["topics"] == body["topics"]
    bad = admin.post("/api/v1/webhooks", {"name": "x", "url": "ftp://x", "topics": ["warehouse.filed"],
                                          "units": ["nowhere"], "secret": "short"})
    assert bad.status_code == 422
    assert {(e["field"], e["rule"]) for e in bad.json()["errors"]} == {
        ("url", "http_url"), ("topics[0]", "choice"), ("units[0]", "exists"), ("secret", "length")}
    deleted = admin.client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin.headers())
    assert deleted.status_code == 204
    assert admin.get(f"/api/v1/webhooks/{hook['id']}").status_code == 404
    assert not WebhookSubscription.objects.exists()


def test_dead_letters_of_the_national_sync_in_the_api(api, frozen_clock, settings, family):  # noqa: F811
    outbox.register(national.CONSUMER, national.TOPICS, national.sync_dossier, atomic=False, ordered=True)
    try:
        settings.MOTCUA_NATIONAL_SYNC_URL = "http://127.0.0.1:9/"  # the discard port: nobody answers
        settings.MOTCUA_OUTBOX_MAX_ATTEMPTS = 1
        code = submit(api("citizen.demo"))
        drain()
        admin = api("admin.demo")
        page = admin.get("/api/v1/integrations/dead-letters", consumer="national_sync", limit=1).json()
        assert [(d["consumer"], d["key"], d["topic"]) for d in page["items"]] == [
            ("national_sync", code, "dossier.status_changed")]
        assert page["next"] is None
        assert admin.get("/api/v1/integrations/dead-letters", cursor="x").status_code == 422
    finally:
        outbox.unregister(national.CONSUMER)
