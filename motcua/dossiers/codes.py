"""Dossier codes `AGENCY-YYMMDD-NNNN` and lookup keys (domain/one-stop.md, "Dossier code and result code")."""

from __future__ import annotations

import secrets
from datetime import date

from django.db import connection

from motcua.organization.models import Unit

from .models import DossierSequence

# No 0/O, 1/I/L: a lookup key is read aloud and typed from paper.
_KEY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def next_number(unit: Unit, day: date) -> int:
    """The next number of `unit` on `day`, atomically: one INSERT ... ON CONFLICT DO UPDATE ... RETURNING.

    The statement takes the row lock itself, so concurrent submissions (several web processes, PostgreSQL) each get
    a different number; inside the caller's transaction, a rollback gives the number back.
    """
    table = connection.ops.quote_name(DossierSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (unit_id, day, last) VALUES (%s, %s, 1) "  # noqa: S608 - table name is ours
            f"ON CONFLICT (unit_id, day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [unit.pk, day],
        )
        return int(cursor.fetchone()[0])


def dossier_code(unit: Unit, day: date, number: int) -> str:
    return f"{unit.agency_code}-{day:%y%m%d}-{number:04d}"


def new_lookup_key() -> str:
    """Eight characters of _KEY_ALPHABET drawn uniformly from one random number (history imports make thousands a
    second; one `secrets` call instead of eight)."""
    number = secrets.randbelow(len(_KEY_ALPHABET) ** 8)
    key = []
    for _ in range(8):
        number, index = divmod(number, len(_KEY_ALPHABET))
        key.append(_KEY_ALPHABET[index])
    return "".join(key)
