"""Webhooks: signed copies of outbox events for subscribers (the data-sharing platform, other systems).

Each `WebhookSubscription` is its own ordered outbox consumer, `webhook:<id>` (a consumer family, see outbox): `emit`
makes one delivery per active subscription whose filters match the event (topic, handling unit, procedure field),
in the producing transaction. Deliveries of one key (a dossier code, a result code) go out in event order; retries,
dead letters and replay are the outbox's, shared with the national sync.

A request is `POST <url>` with the JSON body

    {"id": "<event id>", "topic": "dossier.status_changed", "key": "<dossier code>", "created_at": "<ISO 8601>",
     "data": {...the event's payload...}}

and the headers

    X-Motcua-Event-Id: <event id>        the same for every attempt: drop what you have already seen
    X-Motcua-Topic: <topic>
    X-Motcua-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body, keyed with the secret>

A deactivated subscription receives nothing: its waiting deliveries are settled without being sent. A deleted one's
are too. See docs/api.md ("Webhooks") for verifying the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from django.conf import settings

from motcua.catalog.models import Procedure
from motcua.core import clock
from motcua.dossiers.models import Dossier

from . import delivery
from .models import OutboxEvent
from .outbox import register_family
from .sync_models import WebhookSubscription

PREFIX = "webhook:"
# The topics a subscription may ask for (an empty list: all of them).
TOPICS = ("dossier.status_changed", "dossier.updated", "dossier.rated", "result.issued", "result.cancelled")
SIGNATURE_HEADER = "X-Motcua-Signature"
EVENT_ID_HEADER = "X-Motcua-Event-Id"
TOPIC_HEADER = "X-Motcua-Topic"


def _active() -> list[WebhookSubscription]:
    """The active subscriptions (read at every emit: a small table, and a change is seen by the next event at once)."""
    return list(WebhookSubscription.objects.filter(active=True).only("id", "topics", "units", "procedure_fields"))


def _field_of(payload: dict[str, Any]) -> str:
    """The field code of the event's procedure ("" when unknown)."""
    if payload.get("procedure_code"):
        found = Procedure.objects.filter(code=str(payload["procedure_code"])).values_list("field__code", flat=True)
    elif payload.get("dossier_code"):
        found = Dossier.objects.filter(code=str(payload["dossier_code"])).values_list("version__field__code",
                                                                                      flat=True)
    else:
        return ""
    return found.first() or ""


def subscribers(topic: str, key: str, payload: dict[str, Any]) -> list[str]:
    """The consumer names of the active subscriptions whose filters let the event through."""
    if topic not in TOPICS:
        return []
    unit = str(payload.get("unit") or payload.get("issuer") or "")
    field: str | None = None
    names = []
    for subscription in _active():
        if subscription.topics and topic not in subscription.topics:
            continue
        if subscription.units and unit not in subscription.units:
            continue
        if subscription.procedure_fields:
            if field is None:
                field = _field_of(payload)
            if field not in subscription.procedure_fields:
                continue
        names.append(f"{PREFIX}{subscription.pk}")
    return names


# --- signing ------------------------------------------------------------------------------------------------------

def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The value of X-Motcua-Signature for `body` sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, now: datetime | None = None, tolerance: int = 300) -> bool:
    """Whether `header` (X-Motcua-Signature) signs `body` with `secret`, made within `tolerance` seconds of `now`."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    moment = (now or clock.now()).timestamp()
    if abs(moment - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def body_of(event: OutboxEvent) -> bytes:
    return json.dumps({"id": str(event.pk), "topic": event.topic, "key": event.key,
                       "created_at": event.created_at.isoformat(), "data": event.payload},
                      ensure_ascii=False, separators=(",", ":")).encode()


# --- delivering ---------------------------------------------------------------------------------------------------

def deliver(name: str, event: OutboxEvent) -> None:
    """Send `event` to the subscription of consumer `name` (nothing when it was deactivated or deleted)."""
    suffix = name[len(PREFIX):]
    subscription = (WebhookSubscription.objects.filter(pk=int(suffix), active=True).first()
                    if suffix.isdigit() else None)
    if subscription is None:
        return
    body = body_of(event)
    headers = {
        SIGNATURE_HEADER: signature(subscription.secret, body, int(clock.now().timestamp())),
        EVENT_ID_HEADER: str(event.pk),
        TOPIC_HEADER: event.topic,
    }
    timeout = (float(getattr(settings, "MOTCUA_WEBHOOK_CONNECT_TIMEOUT", 5)),
               float(getattr(settings, "MOTCUA_WEBHOOK_TIMEOUT", 15)))
    delivery.post(subscription.url, body, headers, timeout=timeout)


register_family(PREFIX, subscribers, deliver, atomic=False, ordered=True)
