"""Load the demo units, accounts and catalog. Idempotent: a second run changes nothing."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from motcua.catalog.services import import_catalog
from motcua.identity.models import User
from motcua.identity.services import CitizenSignup, OrganizationSignup, register_citizen, register_organization

from ...data import BORDER_STATION, CITIZENS, DEMO_COMMUNE, DEMO_PASSWORD, ORGANIZATIONS, STAFF
from ...loading import load_units_and_staff

CATALOG = Path(__file__).resolve().parents[3] / "catalog" / "demo" / "catalog.json"


def _use_demo_password(user: User) -> None:
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])


class Command(BaseCommand):
    help = "Load the demo units, demo accounts (password motcua-demo) and the demo catalog. Needs MOTCUA_DEMO=1."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet-accounts", action="store_true", help="Do not print the demo accounts.")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("Demo data has known passwords: set MOTCUA_DEMO=1 to load it (never in production).")
        units = load_units_and_staff()
        # Sign-up checks the password policy (12+ characters); the short, published demo password is set afterwards.
        signup_password = secrets.token_urlsafe(16)
        for username, national_id, full_name, birth, sex, phone, email, address in CITIZENS:
            if not User.objects.filter(username=username).exists():
                user = register_citizen(CitizenSignup(
                    username=username, national_id=national_id, full_name=full_name, birth_date=birth, sex=sex,
                    phone=phone, email=email, address=address, password=signup_password,
                    home_unit=units[DEMO_COMMUNE],
                ))
                _use_demo_password(user)
        for username, tax_code, name, representative, email, address in ORGANIZATIONS:
            if not User.objects.filter(username=username).exists():
                user = register_organization(OrganizationSignup(
                    username=username, tax_code=tax_code, organization_name=name, organization_type="enterprise",
                    representative=representative, phone="0225123456", email=email, address=address,
                    password=signup_password, home_unit=units[BORDER_STATION],
                ))
                _use_demo_password(user)
        report = import_catalog(json.loads(CATALOG.read_text(encoding="utf-8")))
        self.stdout.write(f"Demo catalog: {report.summary()}")
        if not options["quiet_accounts"]:
            self.stdout.write("Demo accounts (password: motcua-demo):")
            for username, *_rest in CITIZENS:
                self.stdout.write(f"  {username:<15} citizen of {units[DEMO_COMMUNE].name_vi}")
            for username, _tax, name, *_rest in ORGANIZATIONS:
                self.stdout.write(f"  {username:<15} organization {name}")
            for username, _name, _email, roles, _su in STAFF:
                described = ", ".join(f"{role} @ {code}" for role, code in roles)
                self.stdout.write(f"  {username:<15} {described}")
