"""Reads of the national sync and webhooks for the API and the back office: dead letters, subscriptions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from motcua.core.paging import keyset_page
from motcua.organization.models import Role
from motcua.organization.queries import has_role

from .models import DeliveryStatus, OutboxDelivery
from .sync_models import WebhookSubscription


def is_operator(user: object) -> bool:
    """Whether `user` operates the integrations (dead letters, webhooks): a system administrator."""
    return bool(getattr(user, "is_authenticated", False)) and has_role(user, Role.SYSADMIN)


@dataclass(frozen=True)
class DeadLetterPage:
    items: list[OutboxDelivery]
    next_cursor: str | None


def dead_letters(consumer: str = "", *, before: int | None = None, limit: int = 50) -> DeadLetterPage:
    """Failed deliveries (of `consumer` if given; "webhook:" for every webhook), newest first, keyset on id."""
    rows = OutboxDelivery.objects.filter(status=DeliveryStatus.FAILED).select_related("event")
    if consumer.endswith(":"):
        rows = rows.filter(consumer__startswith=consumer)
    elif consumer:
        rows = rows.filter(consumer=consumer)
    items, cursor = keyset_page(rows, str(before or ""), limit)
    return DeadLetterPage(items=items, next_cursor=cursor or None)


def dead_letter(delivery_id: int) -> OutboxDelivery | None:
    if not 0 < delivery_id < 2**63:
        return None
    return OutboxDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.FAILED).select_related("event").first()


def dead_letter_consumers() -> list[str]:
    """The consumers that have dead letters, sorted."""
    return sorted(set(OutboxDelivery.objects.filter(status=DeliveryStatus.FAILED)
                      .values_list("consumer", flat=True).distinct()))


def subscriptions() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.order_by("id")


def subscription(subscription_id: int) -> WebhookSubscription | None:
    if not 0 < subscription_id < 2**63:
        return None
    return WebhookSubscription.objects.filter(pk=subscription_id).first()
