"""Benchmark: outbox deliveries of ordered consumers (national sync, webhooks): HTTP deliveries per second through
the webhook family to a loopback receiver, and the cost of the ordered claim with a backlog.

    .venv/bin/python bench/sync.py [--keys 200] [--per-key 10]

Runs in one process on a throwaway SQLite site (a temporary MOTCUA_DATA_DIR, migrated). One webhook subscription
points at a ThreadingHTTPServer on 127.0.0.1 that answers 200. `--keys` × `--per-key` events are emitted (one
transaction), then drained by `outbox.deliver_pending(limit=100)` in one worker: each delivery is one signed HTTP
POST, and a key never has two in flight. Then the same backlog is claimed without sending to time the claim query
alone (ordered vs a plain consumer). Target: >= 50 deliveries/s per worker (the seeds' ministry makes well under one
dossier event per second on average; a national deployment adds workers).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import Table, print_table  # noqa: E402

TARGET_PER_SECOND = 50.0


class Ok(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--per-key", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="motcua-bench-sync-") as data_dir:
        os.environ.update(DJANGO_SETTINGS_MODULE="motcua.settings", MOTCUA_DATA_DIR=data_dir,
                          MOTCUA_LOG_LEVEL="WARNING", MOTCUA_TASKS_BACKEND="django_tasks.backends.dummy.DummyBackend")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import transaction

        from motcua.integrations import outbox
        from motcua.integrations.models import OutboxDelivery
        from motcua.integrations.sync_models import WebhookSubscription

        call_command("migrate", verbosity=0)
        for name in outbox.consumers():  # the webhook family alone (no e-mail, notifications, national sync)
            outbox.unregister(name)
        server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        WebhookSubscription.objects.create(name="bench", url=f"http://127.0.0.1:{server.server_address[1]}/",
                                           secret="b" * 32)
        total = args.keys * args.per_key

        def emit_backlog(topic: str) -> None:
            with transaction.atomic():
                for n in range(args.per_key):
                    for key in range(args.keys):
                        outbox.emit(topic, f"K{key:05d}", {"unit": "", "n": n})

        emit_backlog("dossier.status_changed")
        started = time.perf_counter()
        rounds = 0
        while outbox.deliver_pending(limit=100):
            rounds += 1
        elapsed = time.perf_counter() - started
        delivered = OutboxDelivery.objects.filter(consumer__startswith="webhook:", status="delivered").count()
        server.shutdown()

        claims: dict[str, float] = {}
        for name, ordered in (("plain", False), ("ordered", True)):
            outbox.register(f"bench-{name}", ["bench.claim"], lambda event: None, ordered=ordered)
        emit_backlog("bench.claim")
        for name in ("plain", "ordered"):
            other = "ordered" if name == "plain" else "plain"
            entry = outbox.consumers()[f"bench-{other}"]
            outbox.unregister(entry.name)  # claim one consumer's deliveries at a time
            OutboxDelivery.objects.filter(consumer=entry.name).update(status="delivered")
            started = time.perf_counter()
            claimed = len(outbox._claim(100))
            claims[name] = (time.perf_counter() - started) * 1000
            claims[f"{name}-count"] = claimed
            OutboxDelivery.objects.filter(consumer=entry.name).update(status="pending")
            outbox.register(entry.name, entry.topics, entry.handler, ordered=entry.ordered)

    per_second = delivered / elapsed if elapsed else 0.0
    table = Table("outbox: ordered deliveries (webhooks, national sync)")
    table.add(f"webhook deliveries/s, 1 worker, {args.keys} keys × {args.per_key}", f"{per_second:.0f}",
              f">= {TARGET_PER_SECOND:.0f}", per_second >= TARGET_PER_SECOND)
    table.add("delivered / emitted", f"{delivered} / {total}", "all", delivered == total)
    table.add("claim rounds (≤ 100 each, ≤ 1 per key)", str(rounds))
    table.add(f"claim of 100 from {total} pending, plain consumer", f"{claims['plain']:.1f} ms")
    table.add(f"claim from {total} pending, ordered ({int(claims['ordered-count'])} claimable: 1 per key)",
              f"{claims['ordered']:.1f} ms")
    print_table(table)


if __name__ == "__main__":
    main()
