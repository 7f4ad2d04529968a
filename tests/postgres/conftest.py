"""Fixtures for tests against a real PostgreSQL: a throwaway server (pgserver.py) and a motcua site migrated onto it.

These tests do not use pytest-django's test database: they start their own server and run motcua in subprocesses
with MOTCUA_DATABASE_URL pointing at it, as a deployment would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .pgserver import PgMissing, PgServer

REPO = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    # Also registered in pyproject.toml; repeated here so the marker is known wherever this folder is collected.
    config.addinivalue_line("markers", "postgres: runs against a throwaway PostgreSQL server (tests/postgres)")


@dataclass
class Site:
    """motcua configured for the throwaway server: the environment its processes run with."""

    server: PgServer
    database: str
    data_dir: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 120, **extra_env: str) -> subprocess.CompletedProcess[str]:
        """Run a Python command (`-c code ...` or `manage.py ...`) of the site; fail the test on a non-zero exit."""
        result = subprocess.run([sys.executable, *args], cwd=REPO, env={**self.env, **extra_env},
                                capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            pytest.fail(f"`{' '.join(args)[:200]}` exited with {result.returncode}:\n{result.stdout[-4000:]}\n"
                        f"{result.stderr[-8000:]}")
        return result

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of `sql`, read straight from the server (psycopg), outside motcua."""
        import psycopg

        with psycopg.connect(host=str(self.server.socket_dir), port=self.server.port, user="postgres",
                             dbname=self.database, autocommit=True) as connection:
            return connection.execute(sql, params).fetchall()


def site_env(database_url: str, data_dir: Path) -> dict[str, str]:
    """The environment of a motcua process using `database_url`: no MOTCUA_* setting leaks in from the caller."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MOTCUA_", "PG"))}
    env.update(DJANGO_SETTINGS_MODULE="motcua.settings", MOTCUA_DATABASE_URL=database_url,
               MOTCUA_DATA_DIR=str(data_dir), MOTCUA_DEMO="1", PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    return env


@pytest.fixture(scope="session")
def pg_server(pytestconfig: pytest.Config) -> Iterator[PgServer]:
    """A throwaway PostgreSQL (fsync off). Missing binaries fail the test, naming the Debian package to install.

    With MOTCUA_TEST_DB=postgres the session's cluster (root conftest.py) already runs: its own databases are made on
    it, next to pytest-django's test database."""
    from conftest import pg_server_key

    session_server = pytestconfig.stash.get(pg_server_key, None)
    if session_server is not None:
        yield session_server
        return
    problem = None
    try:
        server = PgServer(durable=False).start()
    except PgMissing as missing:
        problem = str(missing)
    if problem:
        pytest.fail(problem, pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def pg_site(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A fresh database on the throwaway server, migrated, with the demo units, accounts and catalog."""
    name = f"motcua_{uuid.uuid4().hex[:12]}"
    url = pg_server.create_database(name)
    data_dir = tmp_path_factory.mktemp("motcua-data")
    site = Site(server=pg_server, database=name, data_dir=data_dir, env=site_env(url, data_dir))
    site.run("manage.py", "migrate", "--noinput", "-v0")
    site.run("manage.py", "load_demo", "--quiet-accounts")
    return site


def run_together(site: Site, tmp_path: Path, code: str, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Start one process of the site per spec running `python -c code <spec as JSON>`, with `ready` (a file the
    process touches when set up) and `go` (the file it waits for) added to its spec; release them together once all
    are ready; return the JSON object each printed on its last line."""
    go = tmp_path / "go"
    processes = []
    try:
        for index, spec in enumerate(specs):
            argument = json.dumps({**spec, "go": str(go), "ready": str(tmp_path / f"ready-{index}")})
            processes.append(subprocess.Popen([sys.executable, "-c", code, argument], cwd=REPO, env=site.env,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        deadline = time.monotonic() + 60
        while sum((tmp_path / f"ready-{index}").exists() for index in range(len(specs))) < len(specs):
            if time.monotonic() > deadline or any(process.poll() not in (None, 0) for process in processes):
                break
            time.sleep(0.01)
        go.touch()
        reports = []
        for process in processes:
            stdout, stderr = process.communicate(timeout=120)
            assert process.returncode == 0, f"a process exited with {process.returncode}:\n{stderr[-4000:]}"
            lines = stdout.strip().splitlines()
            assert lines, f"a process printed nothing:\n{stderr[-4000:]}"
            reports.append(json.loads(lines[-1]))
        return reports
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
