"""Ordered consumers (per-key order, a dead letter holds its key back) and consumer families, on the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import transaction

from motcua.integrations import outbox
from motcua.integrations.models import DeliveryStatus, OutboxDelivery, OutboxEvent

pytestmark = pytest.mark.django_db
TOPIC = "test.ordered"


class Recorder:
    """A handler remembering (key, event id) in call order, failing for the keys in `failing` (PermanentFailure for
    those in `refused`)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []
        self.failing: set[str] = set()
        self.refused: set[str] = set()

    def __call__(self, event: OutboxEvent) -> None:
        if event.key in self.refused:
            raise outbox.PermanentFailure(f"refused {event.key}")
        if event.key in self.failing:
            raise ConnectionError(f"down for {event.key}")
        self.seen.append((event.key, event.pk))


@pytest.fixture
def ordered() -> Iterator[Recorder]:
    handler = Recorder()
    outbox.register("ordered", [TOPIC], handler, atomic=False, ordered=True)
    yield handler
    outbox.unregister("ordered")


def emit(*keys: str) -> list[OutboxEvent]:
    with transaction.atomic():
        return [outbox.emit(TOPIC, key, {"n": index}) for index, key in enumerate(keys)]


def drain() -> None:
    while outbox.deliver_pending(limit=50):
        pass


def status_of(event: OutboxEvent, consumer: str = "ordered") -> str:
    return OutboxDelivery.objects.get(event=event, consumer=consumer).status


def test_one_delivery_per_key_at_a_time_in_event_order(ordered, frozen_clock):
    events = emit("A", "B", "A", "A", "B")
    first = outbox.deliver_pending(limit=50)
    assert first == 2  # the first event of A and of B; the later ones wait for them
    assert ordered.seen == [("A", events[0].pk), ("B", events[1].pk)]
    drain()
    assert [pk for key, pk in ordered.seen if key == "A"] == [events[0].pk, events[2].pk, events[3].pk]
    assert [pk for key, pk in ordered.seen if key == "B"] == [events[1].pk, events[4].pk]


def test_a_leased_delivery_holds_back_the_later_ones_of_its_key(ordered, frozen_clock):
    events = emit("A", "A")
    claimed = outbox._claim(10)
    assert [d.event_id for d in claimed] == [events[0].pk]
    assert outbox._claim(10) == []  # leased, still pending: A's second event waits, no other key is due


def test_a_failing_key_waits_for_its_retry_and_the_others_go_on(ordered, frozen_clock, settings):
    settings.MOTCUA_OUTBOX_MAX_ATTEMPTS = 3
    ordered.failing = {"A"}
    events = emit("A", "B", "A", "B")
    drain()
    assert ordered.seen == [("B", events[1].pk), ("B", events[3].pk)]
    assert [status_of(e) for e in events[::2]] == ["pending", "pending"]
    for _ in range(3):  # the backoff passes: A's first event fails for good, the second still waits behind it
        frozen_clock.advance(timedelta(hours=1))
        drain()
    assert [status_of(e) for e in events[::2]] == ["failed", "pending"]
    frozen_clock.advance(timedelta(days=1))
    drain()
    assert OutboxDelivery.objects.get(event=events[2], consumer="ordered").attempts == 0
    ordered.failing = set()
    assert outbox.retry(outbox.failed_deliveries("ordered")) == 1
    drain()
    assert [pk for key, pk in ordered.seen if key == "A"] == [events[0].pk, events[2].pk]
    assert {status_of(e) for e in events} == {DeliveryStatus.DELIVERED}


def test_a_permanent_failure_is_a_dead_letter_at_once_and_holds_its_key(ordered, frozen_clock):
    ordered.refused = {"A"}
    events = emit("A", "A", "B")
    drain()
    assert [status_of(e) for e in events] == ["failed", "pending", "delivered"]
    assert OutboxDelivery.objects.get(event=events[0], consumer="ordered").attempts == 1
    frozen_clock.advance(timedelta(days=2))
    drain()
    assert status_of(events[1]) == "pending"
    ordered.refused = set()
    outbox.retry(outbox.failed_deliveries("ordered"))
    drain()
    assert [status_of(e) for e in events] == ["delivered"] * 3


def test_unordered_consumers_are_not_held_back(ordered, frozen_clock):
    calls: list[int] = []

    def loose(event: OutboxEvent) -> None:
        calls.append(event.pk)
        if event.pk == events[0].pk:
            raise ConnectionError("first one fails")

    outbox.register("loose", [TOPIC], loose)
    try:
        events = emit("A", "A")
        drain()
        assert calls == [events[0].pk, events[1].pk]
        assert status_of(events[1], "loose") == "delivered"
    finally:
        outbox.unregister("loose")


def test_a_family_gets_deliveries_named_by_its_subscribers(frozen_clock):
    sent: list[tuple[str, int]] = []
    outbox.register_family("fam:", lambda topic, key, payload: [f"fam:{n}" for n in payload.get("to", [])] + ["x"],
                           lambda name, event: sent.append((name, event.pk)), ordered=True)
    try:
        with transaction.atomic():
            one = outbox.emit(TOPIC, "K", {"to": [1, 2]})
            outbox.emit_many(TOPIC, [("K", {"to": [2]}), ("L", {})])
        names = sorted(OutboxDelivery.objects.values_list("consumer", flat=True))
        assert names == ["fam:1", "fam:2", "fam:2"]  # "x" is not of the family: ignored
        drain()
        assert sorted(sent[:2]) == [("fam:1", one.pk), ("fam:2", one.pk)]
        assert len(sent) == 3 and outbox.pending_count() == 0
        assert outbox.lookup("fam:9") is not None and outbox.lookup("nobody") is None
        with pytest.raises(outbox.OutboxError):
            outbox.register_family("nocolon", lambda *a: [], lambda *a: None)
    finally:
        outbox.unregister_family("fam:")
