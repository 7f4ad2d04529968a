"""The ordered outbox claim on PostgreSQL: two delivery loops in two processes, side by side, deliver every event of
an ordered consumer exactly once and, per key, in event order (SKIP LOCKED plus "no earlier undelivered delivery of
the same key"); and the lock the claim takes (of=self, the events joined) is one PostgreSQL accepts."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import defaultdict

import pytest

from .conftest import REPO, Site

pytestmark = pytest.mark.postgres

KEYS, ROUNDS = 4, 25  # few keys: a batch of 4 holds several events of one key

# Registers the ordered consumer "pg_ordered" (its handler takes a little time and writes one row per call, naming
# the process), then either emits the events or runs a delivery loop until nothing is left.
SCRIPT = r"""
import json, os, sys, time
from pathlib import Path

import django

django.setup()

from django.db import transaction

from motcua.integrations import outbox
from motcua.integrations.models import NationalSyncMessage


def handler(event):
    time.sleep(0.003)
    NationalSyncMessage.objects.create(message_id=f"{event.pk}:{os.getpid()}", operation="pg",
                                       dossier_code=event.key, body={"event": event.pk, "pid": os.getpid()})


outbox.register("pg_ordered", ["pgtest.event"], handler, atomic=False, ordered=True)
mode, keys, rounds, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if mode == "emit":
    with transaction.atomic():
        for round_ in range(rounds):
            for key in range(keys):
                outbox.emit("pgtest.event", f"K{key:02d}", {"round": round_})
    print(json.dumps({"pending": outbox.pending_count("pg_ordered")}))
else:
    deadline = time.monotonic() + 60
    while not Path(go).exists():
        if time.monotonic() > deadline:
            raise TimeoutError("no start signal")
        time.sleep(0.005)
    claimed = 0
    while outbox.pending_count("pg_ordered"):
        done = outbox.deliver_pending(limit=4)
        claimed += done
        if not done:
            time.sleep(0.01)
    print(json.dumps({"claimed": claimed}))
"""


def test_two_delivery_loops_keep_per_key_order(pg_site: Site, tmp_path) -> None:
    go = tmp_path / "go"
    emitted = pg_site.run("-c", SCRIPT, "emit", str(KEYS), str(ROUNDS), str(go))
    assert json.loads(emitted.stdout.strip().splitlines()[-1]) == {"pending": KEYS * ROUNDS}
    workers = [subprocess.Popen([sys.executable, "-c", SCRIPT, "deliver", str(KEYS), str(ROUNDS), str(go)],
                                cwd=REPO, env=pg_site.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    time.sleep(3)  # both have set Django up
    go.touch()
    outputs = [worker.communicate(timeout=180) for worker in workers]
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-4000:]
    claimed = [json.loads(out.strip().splitlines()[-1])["claimed"] for out, _err in outputs]
    assert sum(claimed) == KEYS * ROUNDS  # each delivery claimed once
    assert all(claimed), f"one loop did all the work: {claimed}"

    rows = pg_site.query("SELECT id, dossier_code, (body->>'event')::bigint, body->>'pid' "
                         "FROM integrations_nationalsyncmessage WHERE operation = 'pg' ORDER BY id")
    events = [event for _id, _key, event, _pid in rows]
    assert sorted(events) == sorted(set(events)) and len(events) == KEYS * ROUNDS  # exactly once
    per_key: dict[str, list[int]] = defaultdict(list)
    for _id, key, event, _pid in rows:
        per_key[key].append(event)
    assert len(per_key) == KEYS
    for key, order in per_key.items():
        assert order == sorted(order), f"{key} delivered out of order: {order}"
    assert len({pid for *_rest, pid in rows}) == 2  # both loops delivered
    states = pg_site.query("SELECT status, count(*) FROM integrations_outboxdelivery "
                           "WHERE consumer = 'pg_ordered' GROUP BY status")
    assert states == [("delivered", KEYS * ROUNDS)]
