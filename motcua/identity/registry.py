"""The population registry (Cơ sở dữ liệu quốc gia về dân cư): does an ID number belong to this name and birth date?

`verify(id_number, full_name, birth_date)` answers with a Result whose status is verified, mismatch (and which fields
differ), not_found or unavailable. The adapter is chosen by MOTCUA_REGISTRY:

- `local` (default): a CSV of citizens (MOTCUA_REGISTRY_CSV, default the demo citizens), so the system runs alone.
- `http`: a JSON endpoint (MOTCUA_REGISTRY_URL, bearer MOTCUA_REGISTRY_TOKEN) asked for the record of one ID number.
- `off`: every check answers unavailable (nothing is verified by the registry).

Names are compared after Unicode NFC, trimming, collapsing whitespace and ignoring case; diacritics matter (in
Vietnamese "Lê" and "Le" are different names), see docs/decisions/0012-oidc-and-population-registry.md.
"""

from __future__ import annotations

import csv
import logging
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

DEMO_CSV = Path(__file__).resolve().parent.parent / "demo" / "citizens.csv"


class Status(StrEnum):
    VERIFIED = "verified"
    MISMATCH = "mismatch"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Result:
    status: Status
    mismatched: tuple[str, ...] = field(default=())  # "full_name", "birth_date"

    @property
    def verified(self) -> bool:
        return self.status == Status.VERIFIED


@dataclass(frozen=True)
class Record:
    """What the registry holds about one person (the part we compare)."""

    id_number: str
    full_name: str
    birth_date: date


class Registry(Protocol):
    def verify(self, id_number: str, full_name: str, birth_date: date) -> Result: ...


def normalize_name(name: str) -> str:
    """NFC, single spaces, case folded; diacritics kept."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def compare(record: Record | None, full_name: str, birth_date: date) -> Result:
    """The answer for a claimed name and birth date against the registry's record (None: no such ID number)."""
    if record is None:
        return Result(Status.NOT_FOUND)
    mismatched = []
    if normalize_name(record.full_name) != normalize_name(full_name):
        mismatched.append("full_name")
    if record.birth_date != birth_date:
        mismatched.append("birth_date")
    return Result(Status.MISMATCH, tuple(mismatched)) if mismatched else Result(Status.VERIFIED)


class LocalRegistry:
    """A CSV with the columns id_number, full_name, birth_date (YYYY-MM-DD)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def verify(self, id_number: str, full_name: str, birth_date: date) -> Result:
        try:
            records = _read_csv(str(self.path), self.path.stat().st_mtime)
        except OSError:
            logger.warning("population registry CSV %s cannot be read", self.path)
            return Result(Status.UNAVAILABLE)
        return compare(records.get(id_number), full_name, birth_date)


def records(path: Path = DEMO_CSV) -> list[Record]:
    """Every record of a registry CSV, in file order (the local stand-ins list the demo citizens from it)."""
    return list(_read_csv(str(path), path.stat().st_mtime).values())


@lru_cache(maxsize=4)
def _read_csv(path: str, mtime: float) -> dict[str, Record]:
    """The CSV's records by ID number (read again when the file changes: the cache key has its mtime)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return {
            row["id_number"].strip(): Record(row["id_number"].strip(), row["full_name"],
                                             date.fromisoformat(row["birth_date"].strip()))
            for row in csv.DictReader(handle)
        }


class HttpRegistry:
    """`GET {url}/{id_number}` with `Authorization: Bearer {token}`: 200 with {"id_number", "full_name",
    "birth_date"} when the number exists, 404 when not. Anything else (5xx, timeout, bad JSON) is `unavailable`."""

    def __init__(self, url: str, token: str, timeout: float) -> None:
        self.url, self.token, self.timeout = url.rstrip("/"), token, timeout

    def verify(self, id_number: str, full_name: str, birth_date: date) -> Result:
        try:
            response = requests.get(f"{self.url}/{id_number}", timeout=self.timeout,
                                    headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"})
            if response.status_code == 404:
                return Result(Status.NOT_FOUND)
            response.raise_for_status()
            body = response.json()
            record = Record(str(body["id_number"]), str(body["full_name"]), date.fromisoformat(body["birth_date"]))
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            logger.warning("population registry unavailable: %s", exc)
            return Result(Status.UNAVAILABLE)
        if record.id_number != id_number:
            return Result(Status.UNAVAILABLE)
        return compare(record, full_name, birth_date)


class NoRegistry:
    def verify(self, id_number: str, full_name: str, birth_date: date) -> Result:
        return Result(Status.UNAVAILABLE)


def registry() -> Registry:
    """The adapter the settings choose."""
    kind = settings.MOTCUA_REGISTRY
    if kind == "http":
        return HttpRegistry(settings.MOTCUA_REGISTRY_URL, settings.MOTCUA_REGISTRY_TOKEN,
                            settings.MOTCUA_REGISTRY_TIMEOUT)
    if kind == "off":
        return NoRegistry()
    return LocalRegistry(Path(settings.MOTCUA_REGISTRY_CSV or DEMO_CSV))


def verify(id_number: str, full_name: str, birth_date: date) -> Result:
    return registry().verify(id_number, full_name, birth_date)
