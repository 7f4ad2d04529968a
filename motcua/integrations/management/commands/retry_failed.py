"""Make failed outbox deliveries pending again (a fresh series of attempts), e.g. after fixing the mail server."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from motcua.integrations import outbox


class Command(BaseCommand):
    help = "Retry failed outbox deliveries (all, or one consumer's with --consumer)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--consumer", default="", help="Only this consumer's deliveries, e.g. email.")

    def handle(self, *args: Any, consumer: str, **options: Any) -> None:
        count = outbox.retry(outbox.failed_deliveries(consumer or None))
        self.stdout.write(f"{count} deliveries will be tried again.")
