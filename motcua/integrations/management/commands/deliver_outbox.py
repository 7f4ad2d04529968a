"""Deliver due outbox deliveries now, once or in a loop: for operators who run no `db_worker`, or to drain a backlog."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.integrations import outbox


class Command(BaseCommand):
    help = "Deliver due outbox events to their consumers (once, or --loop)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep delivering; sleep when nothing is due.")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds to sleep when idle (default 5).")
        parser.add_argument("--limit", type=int, default=100, help="Deliveries claimed per batch (default 100).")

    def handle(self, *args: Any, loop: bool, interval: float, limit: int, **options: Any) -> None:
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        try:
            while True:
                attempted = self.drain(limit)
                if attempted or options["verbosity"] > 1:
                    self.stdout.write(f"{attempted} deliveries attempted; {outbox.pending_count()} pending, "
                                      f"{outbox.failed_deliveries().count()} failed.")
                if not loop:
                    return
                time.sleep(max(interval, 0.1))
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")

    @staticmethod
    def drain(limit: int) -> int:
        attempted = 0
        while True:
            done = outbox.deliver_pending(limit=limit)
            attempted += done
            if done < limit:
                return attempted
