"""Operators' API of the integrations (system administrators): dead letters of the outbox, webhook subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field as SchemaField
from ninja import Path, Query, Router, Schema
from ninja import Status as Reply

from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from motcua.identity.api import AUTH

from . import sync_queries, sync_services
from .models import OutboxDelivery
from .sync_models import WebhookSubscription

router = Router(tags=["integrations"])

MAX_ERROR = 4000
DENIED = {401: ErrorOut, 403: ErrorOut}


def _operator(request: HttpRequest) -> None:
    if not sync_queries.is_operator(request.auth):
        raise PermissionDenied(_("Only system administrators manage the integrations."), [
            FieldError("Authorization", "role", _("The sysadmin role is needed."))])


# --- dead letters ---------------------------------------------------------------------------------------------------

class DeadLetterOut(Schema):
    id: int
    consumer: str = SchemaField(description="national_sync, webhook:<subscription id>, email, ...")
    event_id: int
    topic: str
    key: str = SchemaField(description="What the event is about: a dossier code, a result code.")
    attempts: int
    error: str = SchemaField(description="The last error (its end, when long).")
    failed_at: datetime
    event_created_at: datetime


class DeadLetterPage(Schema):
    items: list[DeadLetterOut]
    next: str | None = SchemaField(description="Cursor of the next (older) page, or null on the last page.")


class DeadLetterFilters(Schema):
    consumer: str = SchemaField("", max_length=100, description="Only this consumer; `webhook:` for all webhooks.")
    cursor: str = SchemaField("", max_length=20, description="The `next` value of the previous page.")
    limit: int = SchemaField(50, ge=1, le=200)


class DeadLetterId(Schema):
    id: int = SchemaField(..., ge=1, le=2**63 - 1)


class ReplayAllIn(Schema):
    consumer: str = SchemaField(..., min_length=1, max_length=100,
                                description="The consumer whose dead letters to replay; `webhook:` for all webhooks.")


class ReplayAllOut(Schema):
    replayed: int


def dead_letter_out(delivery: OutboxDelivery) -> dict[str, Any]:
    error = delivery.last_error.strip()
    return {"id": delivery.pk, "consumer": delivery.consumer, "event_id": delivery.event_id,
            "topic": delivery.event.topic, "key": delivery.event.key, "attempts": delivery.attempts,
            "error": error if len(error) <= MAX_ERROR else "…" + error[-MAX_ERROR:],
            "failed_at": delivery.next_attempt_at, "event_created_at": delivery.event.created_at}


@router.get("/integrations/dead-letters", response={200: DeadLetterPage, **DENIED, **ERRORS}, auth=AUTH,
            summary="Deliveries that gave up (dead letters), newest first")
def list_dead_letters(request: HttpRequest, filters: Query[DeadLetterFilters]) -> dict[str, Any]:
    _operator(request)
    before = None
    if filters.cursor:
        if not filters.cursor.isdigit() or not 0 < int(filters.cursor) < 2**63:
            raise ValidationFailed(_("The request is not valid."), [
                FieldError("cursor", "cursor", _("Not a cursor from a previous page: use the `next` value as is."))])
        before = int(filters.cursor)
    page = sync_queries.dead_letters(filters.consumer, before=before, limit=filters.limit)
    return {"items": [dead_letter_out(d) for d in page.items], "next": page.next_cursor}


@router.post("/integrations/dead-letters/replay", response={200: ReplayAllOut, **DENIED, **ERRORS}, auth=AUTH,
             summary="Replay every dead letter of a consumer")
def replay_all_dead_letters(request: HttpRequest, payload: ReplayAllIn) -> dict[str, Any]:
    _operator(request)
    return {"replayed": sync_services.replay_all(payload.consumer)}


@router.post("/integrations/dead-letters/{id}/replay",
             response={200: DeadLetterOut, **DENIED, 404: ErrorOut, **ERRORS}, auth=AUTH,
             summary="Replay one dead letter: pending again, with fresh attempts; its key's order resumes")
def replay_dead_letter(request: HttpRequest, path: Path[DeadLetterId]) -> dict[str, Any]:
    _operator(request)
    return dead_letter_out(sync_services.replay(path.id))


# --- webhooks -------------------------------------------------------------------------------------------------------

class WebhookIn(Schema):
    name: str = SchemaField(..., min_length=1, max_length=200)
    url: str = SchemaField(..., min_length=1, max_length=1000, description="http:// or https:// address.")
    secret: str = SchemaField("", max_length=200, description="At least 16 characters; empty: one is made.")
    topics: list[str] = SchemaField([], max_length=20, description="Event topics; empty: all.")
    units: list[str] = SchemaField([], max_length=500, description="Agency codes of units; empty: all.")
    procedure_fields: list[str] = SchemaField([], max_length=100, description="Field codes; empty: all.")
    active: bool = True


class WebhookPatch(Schema):
    name: str | None = SchemaField(None, min_length=1, max_length=200)
    url: str | None = SchemaField(None, min_length=1, max_length=1000)
    secret: str | None = SchemaField(None, max_length=200)
    topics: list[str] | None = SchemaField(None, max_length=20)
    units: list[str] | None = SchemaField(None, max_length=500)
    procedure_fields: list[str] | None = SchemaField(None, max_length=100)
    active: bool | None = None


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    topics: list[str]
    units: list[str]
    procedure_fields: list[str]
    active: bool
    consumer: str = SchemaField(description="The outbox consumer of its deliveries (dead letters name it).")
    created_at: datetime
    updated_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = SchemaField(description="The signing secret: shown here only.")


class WebhookList(Schema):
    items: list[WebhookOut]


class WebhookId(Schema):
    id: int = SchemaField(..., ge=1, le=2**63 - 1)


def webhook_out(subscription: WebhookSubscription, *, secret: bool = False) -> dict[str, Any]:
    out = {"id": subscription.pk, "name": subscription.name, "url": subscription.url, "topics": subscription.topics,
           "units": subscription.units, "procedure_fields": subscription.procedure_fields,
           "active": subscription.active, "consumer": subscription.consumer_name,
           "created_at": subscription.created_at, "updated_at": subscription.updated_at}
    if secret:
        out["secret"] = subscription.secret
    return out


@router.get("/webhooks", response={200: WebhookList, **DENIED, **ERRORS}, auth=AUTH,
            summary="Webhook subscriptions")
def list_webhooks(request: HttpRequest) -> dict[str, Any]:
    _operator(request)
    return {"items": [webhook_out(s) for s in sync_queries.subscriptions()]}


@router.post("/webhooks", response={201: WebhookCreatedOut, **DENIED, **ERRORS}, auth=AUTH,
             summary="Add a webhook subscription")
def create_webhook(request: HttpRequest, payload: WebhookIn) -> Reply:
    _operator(request)
    subscription = sync_services.create_subscription(sync_services.SubscriptionData(**payload.dict()))
    return Reply(201, webhook_out(subscription, secret=True))


@router.get("/webhooks/{id}", response={200: WebhookOut, **DENIED, 404: ErrorOut, **ERRORS}, auth=AUTH,
            summary="One webhook subscription")
def get_webhook(request: HttpRequest, path: Path[WebhookId]) -> dict[str, Any]:
    _operator(request)
    subscription = sync_queries.subscription(path.id)
    if subscription is None:
        raise NotFound(_("No webhook subscription has this id."),
                       [FieldError("id", "exists", _("No webhook subscription has this id."))])
    return webhook_out(subscription)


@router.patch("/webhooks/{id}", response={200: WebhookOut, **DENIED, 404: ErrorOut, **ERRORS}, auth=AUTH,
              summary="Change a webhook subscription (the fields given)")
def update_webhook(request: HttpRequest, path: Path[WebhookId], payload: WebhookPatch) -> dict[str, Any]:
    _operator(request)
    return webhook_out(sync_services.update_subscription(path.id, payload.dict(exclude_unset=True)))


@router.delete("/webhooks/{id}", response={204: None, **DENIED, 404: ErrorOut, **ERRORS}, auth=AUTH,
               summary="Remove a webhook subscription")
def delete_webhook(request: HttpRequest, path: Path[WebhookId]) -> Reply:
    _operator(request)
    sync_services.delete_subscription(path.id)
    return Reply(204, None)
