"""A throwaway PostgreSQL server for tests and benchmarks: a fresh cluster in a temporary folder, started with the
installed `initdb`/`pg_ctl`, listening on a unix socket in that folder and on a free TCP port of 127.0.0.1, removed
when stopped.

    with PgServer(durable=False) as pg:          # tests: fsync off
        url = pg.database_url("motcua")          # postgres://postgres@%2Ftmp%2F...:PORT/motcua (unix socket)

`initdb` refuses to run as root: as root, the server binaries run as the `postgres` system user
(`runuser -u postgres --`) and the folder is handed to it. Clients (psql, pgbench, the app) connect as the database
user `postgres` with `trust` authentication, which is safe here because the server listens on loopback and on a
socket in a folder only its owner can enter.

The binaries are looked for in $MOTCUA_PG_BINDIR, then the newest /usr/lib/postgresql/*/bin (Debian), then $PATH.
Missing binaries raise `PgMissing`, whose message names the Debian package to install.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

DEBIAN_PACKAGE = "postgresql"  # pulls postgresql-15: initdb, pg_ctl, postgres, psql, pgbench
SYSTEM_USER = "postgres"
SUPERUSER = "postgres"
NEEDED = ("initdb", "pg_ctl", "postgres", "psql", "pgbench")

# Settings that make a test server fast: nothing is made durable (the cluster is thrown away).
NON_DURABLE = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class PgMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name) or ["0"])


def find_bindir() -> Path:
    """The folder holding initdb, pg_ctl, postgres, psql and pgbench; PgMissing when there is none."""
    candidates: list[Path] = []
    if os.environ.get("MOTCUA_PG_BINDIR"):
        candidates.append(Path(os.environ["MOTCUA_PG_BINDIR"]))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if all((folder / name).is_file() for name in NEEDED):
            return folder
    raise PgMissing(
        f"PostgreSQL server binaries ({', '.join(NEEDED)}) were not found in $MOTCUA_PG_BINDIR, "
        f"/usr/lib/postgresql/*/bin or $PATH. Install the Debian package `{DEBIAN_PACKAGE}` "
        f"(apt-get install {DEBIAN_PACKAGE}; PostgreSQL 15+), or point MOTCUA_PG_BINDIR at the binaries."
    )


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PgServer:
    """One throwaway cluster. `durable=False` (tests) turns fsync, synchronous_commit and full_page_writes off;
    `durable=True` (benchmarks) keeps PostgreSQL's defaults. `settings` adds or overrides postgresql.conf lines."""

    def __init__(self, *, durable: bool = False, settings: dict[str, str] | None = None,
                 max_connections: int = 100, base_dir: str | None = None) -> None:
        self.bindir = find_bindir()
        self.durable = durable
        self.settings = {**({} if durable else NON_DURABLE), **(settings or {})}
        self.max_connections = max_connections
        self.base_dir = base_dir
        self.root: Path | None = None
        self.port = 0
        self._as_postgres = os.geteuid() == 0
        self._started = False

    # --- paths and commands -----------------------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.root is not None
        return self.root

    @property
    def log_file(self) -> Path:
        assert self.root is not None
        return self.root / "server.log"

    def bin(self, name: str) -> str:
        return str(self.bindir / name)

    def _server_command(self, *args: str) -> list[str]:
        """A server-side command (initdb, pg_ctl), as the postgres system user when we are root."""
        command = [self.bin(args[0]), *args[1:]]
        return ["runuser", "-u", SYSTEM_USER, "--", *command] if self._as_postgres else command

    def _run(self, command: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False,
                                cwd=str(self.root), env=self.client_env())
        if result.returncode != 0:
            log = self.log_file.read_text(errors="replace")[-3000:] if self.log_file.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
                               f"\n--- server log ---\n{log}")
        return result

    def client_env(self) -> dict[str, str]:
        """Environment for libpq clients (psql, pgbench, createdb) that reach this server."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env.update(PGUSER=SUPERUSER, PGDATABASE="postgres", LC_ALL="C.UTF-8")
        if self._started or self.port:
            env.update(PGHOST=str(self.socket_dir), PGPORT=str(self.port))
        return env

    # --- lifecycle --------------------------------------------------------------------------------------------------

    def start(self) -> PgServer:
        if self._started:
            return self
        self.root = Path(tempfile.mkdtemp(prefix="motcua-pg-", dir=self.base_dir))
        try:
            if self._as_postgres:
                try:
                    account = pwd.getpwnam(SYSTEM_USER)
                except KeyError:
                    raise PgMissing(f"Running as root needs the `{SYSTEM_USER}` system user to run the server; the "
                                    f"Debian package `{DEBIAN_PACKAGE}` creates it.") from None
                os.chown(self.root, account.pw_uid, account.pw_gid)
            self._run(self._server_command("initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust",
                                           "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"))
            self.port = free_port()
            lines = {
                "listen_addresses": "'127.0.0.1'", "port": str(self.port),
                "unix_socket_directories": f"'{self.socket_dir}'", "max_connections": str(self.max_connections),
                "logging_collector": "off", "log_min_messages": "warning",
                **self.settings,
            }
            with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
                conf.write("\n# motcua throwaway server\n")
                conf.writelines(f"{key} = {value}\n" for key, value in lines.items())
            self._run(self._server_command("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file),
                                           "-w", "-t", "60", "start"), timeout=90)
            self._started = True
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (immediately: nothing here is worth a checkpoint) and remove the folder."""
        if self.root is None:
            return
        try:
            if (self.data_dir / "postmaster.pid").exists():
                try:
                    subprocess.run(self._server_command("pg_ctl", "-D", str(self.data_dir), "-m", "immediate",
                                                        "-w", "-t", "20", "stop"),
                                   capture_output=True, timeout=30, check=False)
                except subprocess.TimeoutExpired:
                    pass
                self._kill_leftover()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
            self._started = False

    def restart(self) -> None:
        """Stop the server at once, as a crash would (`pg_ctl stop -m immediate`: no checkpoint, every connection
        cut; the next start replays the WAL), then start it again on the same port and folder."""
        if not self._started:
            raise RuntimeError("The server is not running.")
        self._run(self._server_command("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "-t", "30",
                                       "stop"), timeout=45)
        self._run(self._server_command("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file),
                                       "-w", "-t", "60", "start"), timeout=90)

    def _kill_leftover(self) -> None:
        """The postmaster survived pg_ctl stop: kill it by the pid in its own pid file (never by name)."""
        pid = self.pid
        if pid is None:
            return
        with contextlib.suppress(OSError):
            if str(self.data_dir).encode() not in Path(f"/proc/{pid}/cmdline").read_bytes():
                return  # a stale pid file: that process is not our server
            os.kill(pid, signal.SIGKILL)
            for _attempt in range(50):
                os.kill(pid, 0)
                time.sleep(0.1)

    @property
    def pid(self) -> int | None:
        """The postmaster's process id (None when not running)."""
        with contextlib.suppress(OSError, ValueError, IndexError, AssertionError):
            return int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
        return None

    def __enter__(self) -> PgServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    # --- databases --------------------------------------------------------------------------------------------------

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL with psql (tuples only, unaligned) and return its output."""
        return self._run([self.bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-d", database,
                          "-c", sql]).stdout

    def create_database(self, name: str) -> str:
        """Create database `name`; returns its URL (over the unix socket)."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"Not a plain database name: {name!r}")
        self.psql(f"CREATE DATABASE {name}")
        return self.database_url(name)

    def database_url(self, name: str, *, tcp: bool = False) -> str:
        """A MOTCUA_DATABASE_URL for database `name`: the unix socket by default, or TCP on 127.0.0.1."""
        host = "127.0.0.1" if tcp else quote(str(self.socket_dir), safe="")
        return f"postgres://{SUPERUSER}@{host}:{self.port}/{name}"

    def libpq_args(self, name: str) -> list[str]:
        """-h/-p/-U/-d arguments for psql or pgbench."""
        return ["-h", str(self.socket_dir), "-p", str(self.port), "-U", SUPERUSER, "-d", name]
