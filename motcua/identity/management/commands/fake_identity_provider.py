"""Serve the local stand-in of the national identity provider (motcua.identity.fake_idp)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from motcua.identity.fake_idp import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeIdentityProvider
from motcua.identity.registry import DEMO_CSV


class Command(BaseCommand):
    help = ("Run a stand-in national identity provider (OpenID Connect, demo only): sign in as one of the demo "
            "citizens of the population registry's CSV.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, required=True, help="Port to listen on.")
        parser.add_argument("--issuer", default="", help="Issuer URL (default http://HOST:PORT).")
        parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="The client's id (default motcua).")
        parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET, help="The client's secret.")
        parser.add_argument("--redirect-uri", action="append", default=[], metavar="URL",
                            help="A registered redirect URI (repeatable; default the callback of "
                                 "http://127.0.0.1:8000 and http://localhost:8000).")

    def handle(self, *args: Any, **options: Any) -> None:
        redirect_uris = options["redirect_uri"] or [f"http://{host}:8000/account/oidc/callback/"
                                                    for host in ("127.0.0.1", "localhost")]
        try:
            provider = FakeIdentityProvider(
                host=options["host"], port=options["port"], issuer=options["issuer"],
                client_id=options["client_id"], client_secret=options["client_secret"], redirect_uris=redirect_uris,
                citizens=Path(settings.MOTCUA_REGISTRY_CSV or DEMO_CSV))
        except OSError as exc:
            raise CommandError(f"Cannot listen on {options['host']}:{options['port']}: {exc}") from exc
        self.stdout.write(f"Fake national identity provider at {provider.issuer} for client {provider.client_id} "
                          f"(Ctrl-C to stop).")
        self.stdout.flush()
        try:
            provider.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            provider.stop()
