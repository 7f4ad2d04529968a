"""Serve the local stand-in of the national public service portal (motcua.integrations.fake_portal)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from motcua.integrations.fake_portal import FakePortal


def _rate(value: str) -> float:
    rate = float(value)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(value)
    return rate


class Command(BaseCommand):
    help = ("Run a stand-in national portal sync endpoint that stores what it receives (drops duplicate event ids) "
            "and answers GET /received?dossier=CODE.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, required=True, help="Port to listen on.")
        parser.add_argument("--store", default="", help="SQLite file to keep messages in (default: "
                            "DATA_DIR/fake_national_portal.sqlite3).")
        parser.add_argument("--token", default=None, help="Bearer token to require (default: "
                            "MOTCUA_NATIONAL_SYNC_TOKEN).")
        parser.add_argument("--username", default=None, help="Basic-auth user to require (default: "
                            "MOTCUA_NATIONAL_SYNC_USERNAME); its password is MOTCUA_NATIONAL_SYNC_PASSWORD.")
        parser.add_argument("--fail-rate", type=_rate, default=0.0, help="Share of messages answered 503 (0..1).")
        parser.add_argument("--timeout-rate", type=_rate, default=0.0,
                            help="Share of messages stored but answered late (0..1): the sender times out.")
        parser.add_argument("--timeout-delay", type=float, default=60.0, help="Seconds a late answer waits.")
        parser.add_argument("--reject", action="append", default=[], metavar="DOSSIER",
                            help="Answer 422 to messages of this dossier code (repeatable).")
        parser.add_argument("--seed", type=int, default=None, help="Seed of the random failures.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["fail_rate"] + options["timeout_rate"] > 1:
            raise CommandError("--fail-rate and --timeout-rate add up to more than 1.")
        token = options["token"] if options["token"] is not None else settings.MOTCUA_NATIONAL_SYNC_TOKEN
        username = options["username"] if options["username"] is not None else settings.MOTCUA_NATIONAL_SYNC_USERNAME
        store = options["store"] or str(settings.DATA_DIR / "fake_national_portal.sqlite3")
        try:
            portal = FakePortal(host=options["host"], port=options["port"], store=store, token=token,
                                username=username, password=settings.MOTCUA_NATIONAL_SYNC_PASSWORD,
                                fail_rate=options["fail_rate"], timeout_rate=options["timeout_rate"],
                                timeout_delay=options["timeout_delay"], seed=options["seed"])
        except OSError as exc:
            raise CommandError(f"Cannot listen on {options['host']}:{options['port']}: {exc}") from exc
        portal.reject.update(options["reject"])
        self.stdout.write(f"Fake national portal at {portal.url} storing into {store} (Ctrl-C to stop).")
        try:
            portal.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            portal.stop()
