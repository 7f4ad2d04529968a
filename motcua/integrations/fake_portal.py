"""A local stand-in for the national public service portal's sync endpoint (tests, demos, drills).

`manage.py fake_national_portal --port N` serves it; tests start `FakePortal(...)` in a thread on loopback.

- `POST /` (any path but /received): one sync message (JSON with an `event_id`). Credentials are checked (a bearer
  token, or basic auth) when configured: 401 otherwise. A body that is not such JSON gets 400. The message is stored
  once per `event_id`: a duplicate is answered 200 and dropped.
- `GET /received[?dossier=CODE]`: what was stored, in arrival order: `{"items": [message, ...]}` (same credentials).

Misbehaviour on demand, to exercise the sender: `fail_rate` (answer 503 without storing), `timeout_rate` (store,
then answer only after `timeout_delay` seconds: the sender gives up first and sends again), `reject` (dossier codes
answered 422, a permanent refusal). The random draws use `seed`, so a test run is repeatable.
"""

from __future__ import annotations

import base64
import json
import random
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from motcua.core.standin import StandInServer

SCHEMA = """CREATE TABLE IF NOT EXISTS received (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, operation TEXT NOT NULL,
    dossier TEXT NOT NULL, body TEXT NOT NULL, received_at REAL NOT NULL)"""


class FakePortal(StandInServer):
    """The receiver: an HTTP server on (host, port) storing into the SQLite file `store` (":memory:" by default)."""

    thread_name = "fake-national-portal"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, store: str = ":memory:", token: str = "",
                 username: str = "", password: str = "", fail_rate: float = 0.0, timeout_rate: float = 0.0,
                 timeout_delay: float = 2.0, seed: int | None = None) -> None:
        self.token, self.username, self.password = token, username, password
        self.fail_rate, self.timeout_rate, self.timeout_delay = fail_rate, timeout_rate, timeout_delay
        self.reject: set[str] = set()
        self.calls = 0
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(store, check_same_thread=False, isolation_level=None)
        self._db.execute(SCHEMA)
        self._listen(host, port, _handler_for(self))

    @property
    def url(self) -> str:
        return f"{self.origin}/"

    # --- storage ---

    def store(self, message: dict[str, Any]) -> bool:
        """Keep `message` unless its event_id was seen; returns whether it was new."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO received (event_id, operation, dossier, body, received_at) VALUES (?,?,?,?,?)",
                (message["event_id"], str(message.get("operation", "")), str(message.get("dossier", "")),
                 json.dumps(message, ensure_ascii=False), time.time()))
            return cursor.rowcount == 1

    def received(self, dossier: str | None = None) -> list[dict[str, Any]]:
        """The stored messages in arrival order (of one dossier if given)."""
        with self._lock:
            if dossier:
                rows = self._db.execute("SELECT body FROM received WHERE dossier = ? ORDER BY seq", (dossier,))
            else:
                rows = self._db.execute("SELECT body FROM received ORDER BY seq")
            return [json.loads(body) for (body,) in rows.fetchall()]

    # --- decisions ---

    def authorized(self, header: str) -> bool:
        if self.token:
            return header == f"Bearer {self.token}"
        if self.username:
            expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return header == f"Basic {expected}"
        return True

    def draw(self) -> str:
        """"fail", "timeout" or "ok" for the next message."""
        with self._lock:
            self.calls += 1
            roll = self._random.random()
        if roll < self.fail_rate:
            return "fail"
        if roll < self.fail_rate + self.timeout_rate:
            return "timeout"
        return "ok"


def _handler_for(portal: FakePortal) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeNationalPortal/1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if not portal.authorized(self.headers.get("Authorization", "")):
                return self._answer(401, {"error": "unauthorized"})
            parts = urlsplit(self.path)
            if parts.path.rstrip("/") != "/received":
                return self._answer(404, {"error": "not found"})
            dossier = parse_qs(parts.query).get("dossier", [""])[0]
            return self._answer(200, {"items": portal.received(dossier or None)})

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not portal.authorized(self.headers.get("Authorization", "")):
                return self._answer(401, {"error": "unauthorized"})
            try:
                message = json.loads(raw)
            except ValueError:
                message = None
            if not isinstance(message, dict) or not isinstance(message.get("event_id"), str):
                return self._answer(400, {"error": "a JSON object with an event_id is expected"})
            if str(message.get("dossier", "")) in portal.reject:
                return self._answer(422, {"error": f"dossier {message.get('dossier')} refused"})
            outcome = portal.draw()
            if outcome == "fail":
                return self._answer(503, {"error": "temporarily unavailable"})
            new = portal.store(message)
            if outcome == "timeout":
                time.sleep(portal.timeout_delay)
            return self._answer(200, {"stored": new, "duplicate": not new})

    return Handler
