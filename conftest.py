"""Fixtures shared by every test: the demo catalog and accounts, API clients, a frozen clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client

from motcua.core.clock import FrozenClock, use_clock

DEMO_CATALOG = Path(__file__).parent / "motcua" / "catalog" / "demo" / "catalog.json"


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    # PBKDF2 at production strength costs ~0.3 s a hash; the tests check behaviour, not the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Pages render {% static %} without a collectstatic manifest.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def demo_catalog_data() -> dict[str, Any]:
    """A fresh copy of the demo catalog document (tests may change it)."""
    return json.loads(DEMO_CATALOG.read_text(encoding="utf-8"))


@pytest.fixture
def catalog(db: None, demo_catalog_data: dict[str, Any]) -> dict[str, Any]:
    """The demo catalog imported; returns the document that was imported."""
    from motcua.catalog.services import import_catalog

    import_catalog(demo_catalog_data)
    return demo_catalog_data


@pytest.fixture
def demo(db: None, settings: Any) -> None:
    """Demo units, accounts (password motcua-demo) and catalog, as `make run` loads them."""
    settings.DEMO = True
    call_command("load_demo", quiet_accounts=True, stdout=open("/dev/null", "w"))


@pytest.fixture
def frozen_clock() -> Iterator[FrozenClock]:
    """The domain clock stopped at Monday 2026-11-23 09:00 in Hanoi."""
    with use_clock(FrozenClock(datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))) as clock:
        yield clock


def token_for(client: Client, username: str, password: str = "motcua-demo") -> str:
    response = client.post("/api/v1/auth/token", {"username": username, "password": password},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["access_token"]
