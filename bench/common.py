"""Helpers shared by the benchmarks: a motcua site on a throwaway PostgreSQL, a gunicorn server, a small keep-alive
HTTP client, latency statistics and the printed table. Run as a script, this module does nothing.

Everything here listens on and talks to loopback addresses only, and every process or folder it creates is removed
by the context managers, also on error or Ctrl-C.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.postgres.pgserver import PgMissing, PgServer, free_port  # noqa: E402

VENV_BIN = Path(sys.executable).parent
PYTHON = sys.executable
GUNICORN = str(VENV_BIN / "gunicorn")
DEMO_PASSWORD = "motcua-demo"  # noqa: S105 - the demo accounts' published password

__all__ = ["PgMissing", "PgServer", "REPO", "Site", "Gunicorn", "HttpClient", "percentile", "print_table",
           "stop_on_signals", "motcua_site"]


# --- signals --------------------------------------------------------------------------------------------------------

def _raise_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into SystemExit so that `finally` blocks (servers, temp folders) run."""
    previous = {sig: signal.signal(sig, _raise_exit) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- the site -------------------------------------------------------------------------------------------------------

@dataclass
class Site:
    """motcua configured for a database: the environment its processes (manage.py, gunicorn) run with."""

    server: PgServer
    database: str
    data_dir: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 300) -> str:
        """Run `python args...` in the repository with the site's environment; return stdout, raise on failure."""
        result = subprocess.run([PYTHON, *args], cwd=REPO, env=self.env, capture_output=True, text=True,
                                timeout=timeout, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"`{' '.join(args)[:120]}` failed ({result.returncode}):\n{result.stdout[-3000:]}\n"
                               f"{result.stderr[-6000:]}")
        return result.stdout


@contextlib.contextmanager
def motcua_site(server: PgServer, **extra_env: str) -> Iterator[Site]:
    """A new database on `server`, migrated, with the demo data; a temporary MOTCUA_DATA_DIR, removed afterwards."""
    name = f"motcua_{uuid.uuid4().hex[:8]}"
    url = server.create_database(name)
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as data_dir:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("MOTCUA_", "PG"))}
        env.update(DJANGO_SETTINGS_MODULE="motcua.settings", MOTCUA_DATABASE_URL=url, MOTCUA_DATA_DIR=data_dir,
                   MOTCUA_DEMO="1", PYTHONPATH=str(REPO), MOTCUA_LOG_LEVEL="WARNING", **extra_env)
        site = Site(server=server, database=name, data_dir=Path(data_dir), env=env)
        site.run("manage.py", "migrate", "--noinput", "-v0")
        site.run("manage.py", "load_demo", "--quiet-accounts")
        yield site


# --- gunicorn -------------------------------------------------------------------------------------------------------

@dataclass
class Gunicorn:
    """`gunicorn motcua.wsgi` on 127.0.0.1:<free port>, in its own process group (stopped as a group)."""

    site: Site
    workers: int = 4
    threads: int = 1
    worker_class: str = "sync"
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def label(self) -> str:
        threads = f" x {self.threads} threads" if self.worker_class == "gthread" else ""
        return f"gunicorn {self.worker_class}, {self.workers} workers{threads}"

    def __enter__(self) -> Gunicorn:
        self.port = free_port()
        self.log = self.site.data_dir / f"gunicorn-{self.port}.log"
        command = [GUNICORN, "motcua.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                   "--worker-class", self.worker_class, "--threads", str(self.threads), "--backlog", "2048",
                   "--keep-alive", "30", "--log-level", "warning", "--error-logfile", str(self.log)]
        self.process = subprocess.Popen(command, cwd=REPO, env=self.site.env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                client = HttpClient(self.port)
                status, _body = client.request("GET", "/api/v1/track/ready?key=READY")
                client.close()
                if status in (404, 429):
                    # Every worker imports the app lazily: give the others a moment after the first answered.
                    time.sleep(1.0)
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log and self.log.exists() else ""

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)  # our own process group: gunicorn and its workers
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


# --- HTTP -----------------------------------------------------------------------------------------------------------

class HttpClient:
    """One keep-alive connection to 127.0.0.1:port (reopened when the server closes it), optionally from a given
    loopback source address."""

    def __init__(self, port: int, *, source: str | None = None, timeout: float = 30) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                                     source_address=(source, 0) if source else None)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed a kept-alive connection between two requests: reconnect once.
                self.connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, payload: Any = None, headers: dict[str, str] | None = None,
             expect: Sequence[int] = (200, 201)) -> Any:
        body = json.dumps(payload).encode() if payload is not None else None
        status, content = self.request(method, path, body, {"Content-Type": "application/json", **(headers or {})})
        if status not in expect:
            raise RuntimeError(f"{method} {path} answered {status}: {content[:500]!r}")
        return json.loads(content)

    def upload(self, path: str, name: str, content: bytes, token: str) -> Any:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                f"Content-Type: application/pdf\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
        status, answer = self.request("POST", path, body, {
            "Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {token}"})
        if status != 201:
            raise RuntimeError(f"upload answered {status}: {answer[:500]!r}")
        return json.loads(answer)

    def close(self) -> None:
        self.connection.close()


def loopback_source_available(address: str) -> bool:
    """Whether this machine lets a socket bind `address` (any 127.x.y.z on Linux)."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))
        return True
    return False


# --- CPU accounting -------------------------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from the 3rd on (after "pid (comm)")


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) of process `root`, of its reaped children and of its live children: for a
    postmaster, the server with every backend, also those that have exited; for gunicorn, master and workers."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, pending, first = 0, [root], True
    while pending:
        pid = pending.pop()
        fields = _stat_fields(pid)
        if fields is None:
            continue
        # utime, stime, cutime, cstime are fields 14-17 of stat (indexes 11-14 here).
        total += int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if first else 0)
        first = False
        pending += children.get(pid, [])
    return total / _TICK


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values) - idle) / _TICK, sum(values) / _TICK


@dataclass
class CpuMeter:
    """CPU used during a phase: by the machine, by the app server, by PostgreSQL (`measure()` then `stop()`)."""

    app_pid: int | None
    db_pid: int | None
    start: dict[str, float] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)

    def _sample(self) -> dict[str, float]:
        busy, total = machine_cpu()
        return {"busy": busy, "total": total, "wall": time.monotonic(),
                "app": tree_cpu_seconds(self.app_pid) if self.app_pid else 0.0,
                "db": tree_cpu_seconds(self.db_pid) if self.db_pid else 0.0}

    def __enter__(self) -> CpuMeter:
        self.start = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._sample()
        self.used = {key: end[key] - self.start[key] for key in end}

    @property
    def busy_fraction(self) -> float:
        return self.used["busy"] / self.used["total"] if self.used.get("total") else float("nan")


# --- statistics and output ------------------------------------------------------------------------------------------

def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile (nearest rank) of `values`; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


@dataclass
class Row:
    measure: str
    value: str
    target: str = ""
    verdict: str = ""


@dataclass
class Table:
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, measure: str, value: str, target: str = "", met: bool | None = None) -> None:
        verdict = "" if met is None else ("met" if met else "MISSED")
        self.rows.append(Row(measure, value, target, verdict))


def print_table(table: Table) -> None:
    """Print `table`; under `make bench` (MOTCUA_BENCH_RESULTS set) also append its rows to that JSON-lines file, from
    which `bench/all.py` prints the one table of every benchmark."""
    results = os.environ.get("MOTCUA_BENCH_RESULTS")
    if results:
        with open(results, "a", encoding="utf-8") as out:
            for r in table.rows:
                out.write(json.dumps({"bench": table.title, "measure": r.measure, "value": r.value,
                                      "target": r.target, "verdict": r.verdict}, ensure_ascii=False) + "\n")
    headers = ("measure", "value", "target", "")
    cells = [headers] + [(r.measure, r.value, r.target, r.verdict) for r in table.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    print()
    print(table.title)
    print(line)
    for index, row in enumerate(cells):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            print(line)
    print(line)
    for note in table.notes:
        print(f"  {note}")
    sys.stdout.flush()
