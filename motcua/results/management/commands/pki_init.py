"""Create the local TEST PKI (root CA, unit seals, officers' keys) under MOTCUA_PKI_DIR. Idempotent."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from motcua.identity.models import User
from motcua.organization.models import Unit
from motcua.results import pki


class Command(BaseCommand):
    help = (
        "Create what is missing of a local TEST PKI under MOTCUA_PKI_DIR: a root CA, a seal certificate per active "
        "unit and a personal certificate per approving officer (PKCS#12). NOT for production: there, keys live on a "
        "PKCS#11 token or HSM with certificates from the ministry's CA."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--units", nargs="+", metavar="CODE", help="Only these units (agency codes).")
        parser.add_argument("--officers", nargs="+", metavar="USERNAME", help="Only these officers (usernames).")
        parser.add_argument("--key-type", choices=pki.KEY_TYPES, default="ec",
                            help="ec: ECDSA P-256 (default); rsa: RSA-2048.")

    def handle(self, *args: Any, units: list[str] | None, officers: list[str] | None, key_type: str,
               **options: Any) -> None:
        chosen_units = self._units(units) if units or officers is None else []
        chosen_officers = self._officers(officers) if officers or units is None else []
        if settings.MOTCUA_PKCS11_MODULE:
            self.stderr.write("MOTCUA_PKCS11_MODULE is set: results are signed with the token's keys, not with these "
                              "TEST files.")
        try:
            created = pki.init_pki(units=chosen_units, officers=chosen_officers, key_type=key_type)
        except pki.PkiError as exc:
            raise CommandError(str(exc)) from exc
        for item in created:
            self.stdout.write(str(item))
        if not created and options["verbosity"] > 0:
            self.stdout.write(f"Nothing to create: the test PKI in {pki.pki_dir()} is complete.")

    @staticmethod
    def _units(codes: list[str] | None) -> list[Unit]:
        active = Unit.objects.filter(is_active=True).order_by("path")
        if codes is None:
            return list(active)
        found = {unit.agency_code: unit for unit in active.filter(agency_code__in=codes)}
        missing = [code for code in codes if code not in found]
        if missing:
            raise CommandError(f"No active unit with agency code {', '.join(missing)}.")
        return [found[code] for code in dict.fromkeys(codes)]

    @staticmethod
    def _officers(usernames: list[str] | None) -> list[User]:
        eligible = pki.approving_officers()
        if usernames is None:
            return list(eligible)
        found = {user.username: user for user in eligible.filter(username__in=usernames)}
        missing = [name for name in usernames if name not in found]
        if missing:
            raise CommandError(f"{', '.join(missing)}: no active staff account holding the leader role or a "
                               "delegation of approval in force.")
        return [found[name] for name in dict.fromkeys(usernames)]
