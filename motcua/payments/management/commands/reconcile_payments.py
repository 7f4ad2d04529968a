"""Ask the payment gateways about pending payments and settle them (reconciliation); expire the abandoned ones."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.payments import services


class Command(BaseCommand):
    help = "Settle payments pending for more than N minutes from what their gateway says; expire abandoned ones."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--older-than", type=int, default=None,
                            help="Minutes a payment has been pending (default: PAYMENT_RECONCILE_MINUTES).")
        parser.add_argument("--expire-after", type=int, default=None,
                            help="Minutes after which a payment still pending expires (default: "
                                 "PAYMENT_EXPIRE_MINUTES).")

    def handle(self, *args: Any, older_than: int | None, expire_after: int | None, **options: Any) -> None:
        if (older_than is not None and older_than < 0) or (expire_after is not None and expire_after < 0):
            raise CommandError("Minutes must be 0 or more.")
        done = services.reconcile(older_than, expire_after)
        self.stdout.write(f"{done.asked} pending payments asked about: {done.settled} settled, {done.expired} "
                          f"expired, {done.errors} errors.")
