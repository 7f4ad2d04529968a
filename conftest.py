"""Fixtures shared by every test: the demo catalog and accounts, API clients, a frozen clock.

The test database is SQLite in memory unless `MOTCUA_TEST_DB=postgres`: then `pytest_configure` starts one throwaway
PostgreSQL cluster for the session (tests/postgres/pgserver.py, nothing made durable) before anything connects, points
`DATABASES` at it, and `pytest_unconfigure` removes it; pytest-django creates its test database there as usual.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from motcua.core.clock import FrozenClock, use_clock

DEMO_CATALOG = Path(__file__).parent / "motcua" / "catalog" / "demo" / "catalog.json"
TEST_DATABASES = ("sqlite", "postgres")
pg_server_key = pytest.StashKey[Any]()


def test_database() -> str:
    """The database the suite runs on: $MOTCUA_TEST_DB, `sqlite` (default) or `postgres`."""
    return os.environ.get("MOTCUA_TEST_DB", "").strip().lower() or "sqlite"


def pytest_configure(config: pytest.Config) -> None:
    name = test_database()
    if name not in TEST_DATABASES:
        raise pytest.UsageError(f"MOTCUA_TEST_DB={name!r}: expected one of {', '.join(TEST_DATABASES)}.")
    if name != "postgres" or config.getoption("help", False) or config.getoption("version", 0):
        return
    import dj_database_url
    from django.conf import settings
    from django.db import connections

    from tests.postgres.pgserver import PgMissing, PgServer

    try:
        server = PgServer(durable=False).start()
    except PgMissing as missing:
        raise pytest.UsageError(f"MOTCUA_TEST_DB=postgres: {missing}") from None
    config.stash[pg_server_key] = server
    # pytest-django has set Django up already, but nothing has connected yet: replace the SQLite settings (and
    # forget the connection objects and settings Django may have made from them).
    settings.DATABASES["default"] = dj_database_url.parse(server.database_url("motcua"), conn_max_age=0)
    connections.__dict__.pop("settings", None)
    for connection in connections.all(initialized_only=True):  # made (not opened) while the apps got ready
        connection.close()
        del connections[connection.alias]
    connections._settings = settings.DATABASES


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(pg_server_key, None)
    if server is not None:
        from django.db import connections

        connections.close_all()
        server.stop()


def pytest_report_header(config: pytest.Config) -> str:
    server = config.stash.get(pg_server_key, None)
    if server is None:
        return f"database: {test_database()}"
    return f"database: postgres (throwaway cluster in {server.root}, port {server.port})"


def pki_settings(path: Path) -> dict[str, Any]:
    """Settings that point signing at the PKI in `path`, whatever the developer's environment says."""
    return {
        "MOTCUA_PKI_DIR": path, "MOTCUA_PKI_PASSPHRASE": "", "MOTCUA_PKCS11_MODULE": "", "MOTCUA_PKCS11_TOKEN": "",
        "MOTCUA_PKCS11_PIN": "", "MOTCUA_PKCS11_PIN_FILE": "", "MOTCUA_TSA_URL": "", "MOTCUA_TRUST_ROOTS": [],
    }


@pytest.fixture(scope="session")
def pki_root(tmp_path_factory: pytest.TempPathFactory, django_db_setup: None, django_db_blocker: Any) -> Path:
    """A TEST PKI made once per session by `pki_init` (ECDSA keys) for the demo units and staff, so approvals can
    sign their results; the rows it needed are rolled back after."""
    from django.db import transaction
    from django.test import override_settings

    from motcua.demo.loading import load_units_and_staff

    path = tmp_path_factory.mktemp("pki")
    fast_hasher = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast_hasher, **pki_settings(path)),
          transaction.atomic()):
        load_units_and_staff()  # as load_demo makes them (without its catalog, which takes seconds)
        output = StringIO()
        call_command("pki_init", stdout=output)
        transaction.set_rollback(True)
    (path / "pki_init.out").write_text(output.getvalue())
    return path


def _uses_database(request: pytest.FixtureRequest) -> bool:
    return bool({"db", "transactional_db", "live_server"} & set(request.fixturenames)
                or request.node.get_closest_marker("django_db"))


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, request: pytest.FixtureRequest) -> None:
    # PBKDF2 at production strength costs ~0.3 s a hash; the tests check behaviour, not the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Pages render {% static %} without a collectstatic manifest.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    # Rate-limit windows follow the frozen clock: counts must not carry over from one test to the next.
    cache.clear()
    # Approvals sign their results with the session's TEST PKI (made in the test database: only tests that use one).
    if _uses_database(request):
        for name, value in pki_settings(request.getfixturevalue("pki_root")).items():
            setattr(settings, name, value)
    # Each test starts in the default language (a request in English must not leak into the next test).
    translation.activate(settings.LANGUAGE_CODE)


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
