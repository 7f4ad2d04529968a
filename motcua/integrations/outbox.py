"""The transactional outbox: services announce changes with `emit`, consumers receive them through `deliver_pending`.

Producing: inside the service's `transaction.atomic()`, right after the change and its history row,
`emit(topic, key, payload)` inserts the event and one pending delivery per consumer subscribed to `topic`. The
background task that delivers them is enqueued only when the transaction commits: a rolled-back change leaves no event
and runs nothing.

Consuming: a consumer is a name, the topics it reads and a handler `handler(event) -> None`, registered with
`register(...)` or `@consumer(...)` from `motcua.integrations.consumers` (imported by the app's `ready()`). Delivery is
at least once: a handler may run again for the same event (a crash between the handler and the "delivered" mark, a
lease that ran out), so handlers must be idempotent — key the rows they create on the event (a unique constraint, or
get_or_create). A handler registered `atomic=True` (the default) runs in one transaction with its "delivered" mark, so
its database writes happen exactly once; `atomic=False` is for handlers that talk to the outside world (e-mail, HTTP),
which must not hold a database transaction (on SQLite, a write lock) while they wait. Deliveries of one consumer come
roughly in event order but retries reorder them, unless the consumer is `ordered` (below).

A failing handler is retried with exponential backoff: after the n-th failed attempt it waits
`MOTCUA_OUTBOX_RETRY_BASE_SECONDS` (30) × 2^(n−1), at most `MOTCUA_OUTBOX_RETRY_MAX_SECONDS` (3600); after
`MOTCUA_OUTBOX_MAX_ATTEMPTS` (8) attempts the delivery is failed and waits for an operator (`retry`). A handler that
raises `PermanentFailure` (say, a payload it cannot read) is failed at once. Attempts are counted when a delivery is
claimed, so one whose handler kills its worker (lease runs out, claimed again) is failed too once it has used them.

Order per key: a consumer registered `ordered=True` gets the deliveries of one key (a dossier code) one at a time in
event order: a delivery is not claimed while an earlier delivery of the same consumer for the same key is pending,
leased or failed. A failed (dead-lettered) delivery therefore holds back the later ones of its key until an operator
replays it (`retry`); the other keys go on. National sync and webhooks use it.

Consumer families: `register_family(prefix, subscribers, handler)` adds consumers whose names are made at emit time
(`webhook:12` for subscription 12): `subscribers(topic, key, payload)` names the family's consumers of an event (it
runs inside `emit`, in the producing transaction), and `handler(name, event)` delivers to one of them. Their
deliveries are ordinary deliveries: same retries, dead letters, replay.

Claiming: `deliver_pending` takes due deliveries with `SELECT ... FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite has one
writer at a time anyway) in a short transaction and leases them (`next_attempt_at` moved `MOTCUA_OUTBOX_LEASE_SECONDS`,
300, ahead) before running any handler, so any number of workers can deliver side by side. Call it outside any
transaction (the task and the command do); inside one, every handler runs in a savepoint.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Min, OuterRef, Q, QuerySet

from motcua.core import clock
from motcua.core.background import exponential_backoff
from motcua.core.bulk_insert import insert_rows

from .models import DeliveryStatus, OutboxDelivery, OutboxEvent

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxEvent], None]
H = TypeVar("H", bound=Handler)

MAX_ERROR_CHARS = 8000


class OutboxError(RuntimeError):
    """The outbox was used the wrong way (a programming error, not bad input)."""


class PermanentFailure(Exception):  # noqa: N818 - reads as what the handler reports
    """Raised by a handler when retrying cannot help: the delivery is failed at once."""


@dataclass(frozen=True)
class Consumer:
    name: str
    topics: frozenset[str]
    handler: Handler
    atomic: bool = True
    ordered: bool = False


Subscribers = Callable[[str, str, dict[str, Any]], list[str]]
FamilyHandler = Callable[[str, OutboxEvent], None]


@dataclass(frozen=True)
class Family:
    """Consumers named `prefix` + something, found per event by `subscribers` (e.g. one per webhook subscription)."""

    prefix: str
    subscribers: Subscribers
    handler: FamilyHandler
    atomic: bool = True
    ordered: bool = False


_registry: dict[str, Consumer] = {}
_families: dict[str, Family] = {}


# --- registry -------------------------------------------------------------------------------------------------------

def register(name: str, topics: Iterable[str], handler: Handler, *, atomic: bool = True,
             ordered: bool = False) -> Consumer:
    """Subscribe `handler` to `topics` under the stable `name` (stored on every delivery: never rename lightly)."""
    if not name or len(name) > 100:
        raise OutboxError("A consumer needs a name of 1 to 100 characters.")
    topic_set = frozenset(topics)
    if isinstance(topics, str) or not topic_set:
        raise OutboxError(f"Consumer {name!r}: give a list of topics, e.g. topics=['dossier.status_changed'].")
    entry = Consumer(name=name, topics=topic_set, handler=handler, atomic=atomic, ordered=ordered)
    existing = _registry.get(name)
    if existing is not None and existing != entry:
        raise OutboxError(f"A different consumer is already registered as {name!r}.")
    _registry[name] = entry
    return entry


def consumer(name: str, topics: Iterable[str], *, atomic: bool = True, ordered: bool = False) -> Callable[[H], H]:
    """Decorator form of `register`: `@consumer("notifications", topics=["dossier.status_changed"])`."""

    def decorate(handler: H) -> H:
        register(name, topics, handler, atomic=atomic, ordered=ordered)
        return handler

    return decorate


def register_family(prefix: str, subscribers: Subscribers, handler: FamilyHandler, *, atomic: bool = True,
                    ordered: bool = False) -> Family:
    """Add a family of consumers named `prefix` + suffix (see the module docstring); `prefix` ends with ':'."""
    if not prefix.endswith(":") or len(prefix) > 50:
        raise OutboxError("A consumer family's prefix ends with ':' and has at most 50 characters, e.g. 'webhook:'.")
    if any(name.startswith(prefix) for name in _registry):
        raise OutboxError(f"A registered consumer already has a name starting with {prefix!r}.")
    entry = Family(prefix=prefix, subscribers=subscribers, handler=handler, atomic=atomic, ordered=ordered)
    existing = _families.get(prefix)
    if existing is not None and existing != entry:
        raise OutboxError(f"A different consumer family is already registered as {prefix!r}.")
    _families[prefix] = entry
    return entry


def unregister_family(prefix: str) -> None:
    """Forget a consumer family (tests)."""
    _families.pop(prefix, None)


def families() -> dict[str, Family]:
    """The registered consumer families by prefix."""
    return dict(_families)


def lookup(name: str) -> Consumer | None:
    """The consumer called `name`: a registered one, or a member of a family (its handler bound to the name)."""
    entry = _registry.get(name)
    if entry is not None:
        return entry
    for prefix, family in _families.items():
        if name.startswith(prefix):
            return Consumer(name=name, topics=frozenset(), handler=partial(family.handler, name),
                            atomic=family.atomic, ordered=family.ordered)
    return None


def _family_subscribers(topic: str, key: str, payload: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for family in _families.values():
        names.extend(name for name in family.subscribers(topic, key, payload) if name.startswith(family.prefix))
    return names


def unregister(name: str) -> None:
    """Forget a consumer (tests; its existing deliveries then fail as 'no consumer')."""
    _registry.pop(name, None)


def consumers() -> dict[str, Consumer]:
    """The registered consumers by name."""
    return dict(_registry)


def subscribers(topic: str) -> list[str]:
    """Names of the consumers that read `topic`, sorted."""
    return sorted(name for name, entry in _registry.items() if topic in entry.topics)


# --- producing ------------------------------------------------------------------------------------------------------

def emit(topic: str, key: str, payload: dict[str, Any]) -> OutboxEvent:
    """Record that `topic` happened to `key`, in the caller's transaction; deliveries start when it commits."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise OutboxError(
            "outbox.emit() must be called inside transaction.atomic(), in the same transaction as the change it "
            "announces; otherwise the event and the change can disagree."
        )
    if not topic or len(topic) > 100:
        raise OutboxError("An event topic has 1 to 100 characters.")
    if len(key) > 100:
        raise OutboxError("An event key has at most 100 characters.")
    if not isinstance(payload, dict):
        raise OutboxError("An event payload is a JSON object (a dict).")
    now = clock.now()
    event = OutboxEvent.objects.create(topic=topic, key=key, payload=payload, created_at=now)
    names = subscribers(topic) + (_family_subscribers(topic, key, payload) if _families else [])
    if names:
        OutboxDelivery.objects.bulk_create(
            [OutboxDelivery(event=event, consumer=name, next_attempt_at=now) for name in names]
        )
        _enqueue_on_commit()
    return event


def emit_many(topic: str, events: list[tuple[str, dict[str, Any]]]) -> int:
    """`emit` for many (key, payload) events of one topic at once (history imports): one bulk insert of the events
    and one of their deliveries, in the caller's transaction. Returns the number of events."""
    if not transaction.get_connection().in_atomic_block:
        raise OutboxError("outbox.emit_many() must be called inside transaction.atomic(), like emit().")
    if not topic or len(topic) > 100:
        raise OutboxError("An event topic has 1 to 100 characters.")
    if any(len(key) > 100 or not isinstance(payload, dict) for key, payload in events):
        raise OutboxError("Each event needs a key of at most 100 characters and a payload that is a dict.")
    now = clock.now()
    names = subscribers(topic)
    readers = [names + (_family_subscribers(topic, key, payload) if _families else []) for key, payload in events]
    if not any(readers):  # nobody reads them (e.g. history imports): no ids are needed back, so no model objects
        insert_rows(OutboxEvent, [{"topic": topic, "key": key, "payload": payload, "created_at": now}
                                  for key, payload in events])
        return len(events)
    rows = OutboxEvent.objects.bulk_create(
        [OutboxEvent(topic=topic, key=key, payload=payload, created_at=now) for key, payload in events],
        batch_size=2000)
    OutboxDelivery.objects.bulk_create(
        [OutboxDelivery(event_id=row.pk, consumer=name, next_attempt_at=now)
         for row, consumers in zip(rows, readers, strict=True) for name in consumers],
        batch_size=2000)
    _enqueue_on_commit()
    return len(rows)


def _enqueue_delivery_task() -> None:
    from .tasks import deliver_outbox

    deliver_outbox.enqueue()


def _enqueue_on_commit() -> None:
    """Enqueue the delivery task once per outermost transaction, however many events it emits."""
    connection = transaction.get_connection()
    pending = getattr(connection, "run_on_commit", None) or []
    if any(len(entry) > 1 and entry[1] is _enqueue_delivery_task for entry in pending):
        return
    # robust: the change is committed whatever happens here; an enqueue that fails is logged, and the next task run
    # or `manage.py deliver_outbox` delivers the events.
    transaction.on_commit(_enqueue_delivery_task, robust=True)


# --- delivering -----------------------------------------------------------------------------------------------------

def max_attempts() -> int:
    return int(getattr(settings, "MOTCUA_OUTBOX_MAX_ATTEMPTS", 8))


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: base × 2^(attempts−1), capped."""
    return exponential_backoff(attempts, float(getattr(settings, "MOTCUA_OUTBOX_RETRY_BASE_SECONDS", 30)),
                               float(getattr(settings, "MOTCUA_OUTBOX_RETRY_MAX_SECONDS", 3600)))


def lease() -> timedelta:
    """How long a claimed delivery stays with the worker that claimed it."""
    return timedelta(seconds=float(getattr(settings, "MOTCUA_OUTBOX_LEASE_SECONDS", 300)))


def _ordered_consumers() -> Q | None:
    """Which deliveries belong to an ordered consumer (None: no consumer is ordered)."""
    condition = Q()
    names = [name for name, entry in _registry.items() if entry.ordered]
    if names:
        condition |= Q(consumer__in=names)
    for prefix, family in _families.items():
        if family.ordered:
            condition |= Q(consumer__startswith=prefix)
    return condition or None


def blocked_by_earlier() -> Exists:
    """A delivery has an earlier one (lower event id) of the same consumer and key that is not delivered yet."""
    return Exists(OutboxDelivery.objects.filter(
        consumer=OuterRef("consumer"), event__key=OuterRef("event__key"), event_id__lt=OuterRef("event_id"),
    ).exclude(status=DeliveryStatus.DELIVERED))


def _claim(limit: int) -> list[OutboxDelivery]:
    """Due pending deliveries, leased to this worker (others skip them until the lease runs out). For an ordered
    consumer, only the earliest undelivered delivery of each key can be claimed."""
    now = clock.now()
    due = OutboxDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    ordered = _ordered_consumers()
    if ordered is not None:
        due = due.filter(~(ordered & blocked_by_earlier()))
    with transaction.atomic():
        ids = list(
            # of=self: the order check joins the events, whose rows need no lock.
            due.select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            # The attempt counts from the claim, so a handler that kills its worker still runs out of attempts.
            OutboxDelivery.objects.filter(id__in=ids).update(next_attempt_at=now + lease(), attempts=F("attempts") + 1)
    return list(OutboxDelivery.objects.filter(id__in=ids).select_related("event").order_by("event_id", "id"))


class _AlreadyDone(Exception):  # noqa: N818
    """Another worker settled this delivery meanwhile: undo this run's writes, record nothing."""


def _mark_delivered(delivery: OutboxDelivery) -> bool:
    return bool(
        OutboxDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.DELIVERED, delivered_at=clock.now(), last_error="",
        )
    )


def _error_text(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(exc))
    return text if len(text) <= MAX_ERROR_CHARS else "…" + text[-MAX_ERROR_CHARS:]


def _record_failure(delivery: OutboxDelivery, exc: Exception) -> None:
    attempts = delivery.attempts  # this attempt included (counted at the claim)
    now = clock.now()
    permanent = isinstance(exc, PermanentFailure)
    if permanent or attempts >= max_attempts():
        changes: dict[str, Any] = {"status": DeliveryStatus.FAILED, "next_attempt_at": now}
        logger.error("Outbox delivery %s (%s, event %s) failed for good after %d attempt(s): %s",
                     delivery.pk, delivery.consumer, delivery.event_id, attempts, exc)
    else:
        changes = {"next_attempt_at": now + backoff(attempts)}
        logger.warning("Outbox delivery %s (%s, event %s) failed (attempt %d), retry at %s: %s",
                       delivery.pk, delivery.consumer, delivery.event_id, attempts, changes["next_attempt_at"], exc)
    OutboxDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
        last_error=_error_text(exc), **changes
    )


def _run(delivery: OutboxDelivery) -> None:
    entry = lookup(delivery.consumer)
    try:
        if entry is None:
            raise LookupError(f"No consumer named {delivery.consumer!r} is registered in this process.")
        if delivery.attempts > max_attempts():
            raise PermanentFailure(f"{delivery.attempts - 1} attempts were made and none finished (did the handler "
                                   "stop its worker?); not trying again.")
        # Inside a caller's transaction a savepoint costs nothing and keeps a failing handler from breaking it.
        if entry.atomic or transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                entry.handler(delivery.event)
                if not _mark_delivered(delivery):
                    raise _AlreadyDone
        else:
            entry.handler(delivery.event)
            _mark_delivered(delivery)
    except _AlreadyDone:
        logger.info("Outbox delivery %s was settled by another worker; this run was undone.", delivery.pk)
    except Exception as exc:  # noqa: BLE001 - any handler error is recorded and retried, never propagated
        _record_failure(delivery, exc)


def deliver_pending(limit: int = 100) -> int:
    """Run up to `limit` due deliveries, each on its own; returns how many were attempted."""
    deliveries = _claim(max(int(limit), 1))
    for delivery in deliveries:
        _run(delivery)
    return len(deliveries)


def retry(deliveries: Iterable[OutboxDelivery] | QuerySet[OutboxDelivery]) -> int:
    """Make `deliveries` (pending or failed) due now; failed ones get a fresh series of attempts. Returns the count."""
    if isinstance(deliveries, QuerySet):
        ids = list(deliveries.values_list("pk", flat=True))
    else:
        ids = [delivery.pk for delivery in deliveries]
    now = clock.now()
    with transaction.atomic():
        failed = OutboxDelivery.objects.filter(pk__in=ids, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now
        )
        # Counts the failed ones too: they are pending now.
        count = OutboxDelivery.objects.filter(pk__in=ids, status=DeliveryStatus.PENDING).update(next_attempt_at=now)
        if count:
            _enqueue_on_commit()
    logger.info("Outbox: %d deliveries made due again (%d of them had failed).", count, failed)
    return count


def settle(consumer: str, up_to_event: int) -> int:
    """Mark `consumer`'s pending deliveries of events up to id `up_to_event` delivered, for a consumer that has just
    rebuilt its state from the records those events announce (e.g. `recompute_index`). Returns how many."""
    return OutboxDelivery.objects.filter(consumer=consumer, status=DeliveryStatus.PENDING,
                                         event_id__lte=up_to_event).update(
        status=DeliveryStatus.DELIVERED, delivered_at=clock.now(), last_error="")


# --- queries --------------------------------------------------------------------------------------------------------

def pending_count(consumer: str | None = None) -> int:
    """Deliveries not yet delivered nor failed (due or waiting for their retry)."""
    deliveries = OutboxDelivery.objects.filter(status=DeliveryStatus.PENDING)
    if consumer:
        deliveries = deliveries.filter(consumer=consumer)
    return deliveries.count()


def failed_deliveries(consumer: str | None = None) -> QuerySet[OutboxDelivery]:
    """Deliveries that gave up, oldest event first, with their events."""
    deliveries = OutboxDelivery.objects.filter(status=DeliveryStatus.FAILED).select_related("event")
    if consumer:
        deliveries = deliveries.filter(consumer=consumer)
    return deliveries.order_by("event_id", "id")


def next_attempt_at() -> datetime | None:
    """When the earliest pending delivery is due (None when nothing is pending)."""
    return OutboxDelivery.objects.filter(status=DeliveryStatus.PENDING).aggregate(at=Min("next_attempt_at"))["at"]
