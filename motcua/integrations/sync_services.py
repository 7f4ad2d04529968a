"""Writes of the operators of the integrations: replaying dead letters, managing webhook subscriptions.

Who may: system administrators (`sync_queries.is_operator`); the API, pages and admin check it before calling here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import Field
from motcua.core import clock
from motcua.core.errors import FieldError, NotFound, ValidationFailed, interpolated
from motcua.organization.models import Unit

from . import outbox, sync_queries, webhooks
from .models import OutboxDelivery
from .sync_models import WebhookSubscription

MIN_SECRET = 16


def replay(delivery_id: int) -> OutboxDelivery:
    """Put one dead letter back to pending with fresh attempts (its key's later deliveries follow it)."""
    delivery = sync_queries.dead_letter(delivery_id)
    if delivery is None:
        raise NotFound(_("No dead letter has this id."), [FieldError("id", "exists", _("No dead letter has this id."))])
    outbox.retry([delivery])
    delivery.refresh_from_db()
    return delivery


def replay_all(consumer: str) -> int:
    """Put every dead letter of `consumer` ("webhook:" for all webhooks) back to pending; returns how many."""
    if not consumer:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("consumer", "required", _("Name the consumer whose dead letters to replay."))])
    failed = outbox.failed_deliveries()
    failed = failed.filter(consumer__startswith=consumer) if consumer.endswith(":") else failed.filter(
        consumer=consumer)
    return outbox.retry(failed)


@dataclass
class SubscriptionData:
    name: str
    url: str
    secret: str = ""
    topics: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    procedure_fields: list[str] = field(default_factory=list)
    active: bool = True


def subscription_errors(data: SubscriptionData) -> list[FieldError]:
    """What is wrong with a subscription, each problem naming its field and rule."""
    errors = []
    if not data.name.strip() or len(data.name) > 200:
        errors.append(FieldError("name", "length", _("Give a name of 1 to 200 characters.")))
    parts = urlsplit(data.url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(data.url) > 1000:
        errors.append(FieldError("url", "http_url", _("Give an http:// or https:// address of at most 1000 "
                                                      "characters.")))
    if data.secret and not MIN_SECRET <= len(data.secret) <= 200:
        errors.append(FieldError("secret", "length", interpolated(
            _("A secret has %(min)s to 200 characters (leave it empty to have one made)."), min=MIN_SECRET)))
    for index, topic in enumerate(data.topics):
        if topic not in webhooks.TOPICS:
            errors.append(FieldError(f"topics[{index}]", "choice", interpolated(
                _("Not a topic webhooks can receive; one of: %(topics)s."), topics=", ".join(webhooks.TOPICS))))
    known_units = set(Unit.objects.filter(agency_code__in=data.units).values_list("agency_code", flat=True))
    errors += [FieldError(f"units[{i}]", "exists", _("No unit has this agency code."))
               for i, code in enumerate(data.units) if code not in known_units]
    known_fields = set(Field.objects.filter(code__in=data.procedure_fields).values_list("code", flat=True))
    errors += [FieldError(f"procedure_fields[{i}]", "exists", _("No field has this code."))
               for i, code in enumerate(data.procedure_fields) if code not in known_fields]
    return errors


def _check(data: SubscriptionData) -> None:
    errors = subscription_errors(data)
    if errors:
        raise ValidationFailed(_("The webhook subscription is not valid."), errors)


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))


def create_subscription(data: SubscriptionData) -> WebhookSubscription:
    """Add a subscription; without a secret, one is made (shown once, in the answer)."""
    data.topics, data.units, data.procedure_fields = (_unique(data.topics), _unique(data.units),
                                                      _unique(data.procedure_fields))
    _check(data)
    now = clock.now()
    with transaction.atomic():
        return WebhookSubscription.objects.create(
            name=data.name.strip(), url=data.url, secret=data.secret or secrets.token_urlsafe(32),
            topics=data.topics, units=data.units, procedure_fields=data.procedure_fields, active=data.active,
            created_at=now, updated_at=now)


def update_subscription(subscription_id: int, changes: dict[str, Any]) -> WebhookSubscription:
    """Change some fields of a subscription (the others stay); NotFound if there is none with this id."""
    with transaction.atomic():
        found = sync_queries.subscription(subscription_id)
        subscription = (WebhookSubscription.objects.select_for_update().filter(pk=found.pk).first()
                        if found else None)
        if subscription is None:
            raise NotFound(_("No webhook subscription has this id."),
                           [FieldError("id", "exists", _("No webhook subscription has this id."))])
        data = SubscriptionData(name=subscription.name, url=subscription.url, secret=subscription.secret,
                                topics=subscription.topics, units=subscription.units,
                                procedure_fields=subscription.procedure_fields, active=subscription.active)
        for key, value in changes.items():
            if key == "secret" and not value:
                continue  # an empty secret keeps the current one; give a new one to rotate it
            if hasattr(data, key) and value is not None:
                setattr(data, key, _unique(value) if isinstance(value, list) else value)
        _check(data)
        for key in ("name", "url", "secret", "topics", "units", "procedure_fields", "active"):
            setattr(subscription, key, getattr(data, key))
        subscription.name = subscription.name.strip()
        subscription.updated_at = clock.now()
        subscription.save()
    return subscription


def delete_subscription(subscription_id: int) -> None:
    """Remove a subscription; its waiting deliveries are settled without being sent."""
    subscription = sync_queries.subscription(subscription_id)
    if subscription is None:
        raise NotFound(_("No webhook subscription has this id."),
                       [FieldError("id", "exists", _("No webhook subscription has this id."))])
    with transaction.atomic():
        subscription.delete()
