"""Chaos run: submissions and officers' actions against two gunicorn instances and two task workers on one PostgreSQL,
while worker processes are killed with SIGKILL and the database restarts once; then checks that nothing was lost,
duplicated or left inconsistent.

    .venv/bin/python bench/chaos.py [--duration 60] [--citizens 6] [--officers 3] [--seed N] [--storage s3|local]

1. A throwaway PostgreSQL (durable settings), migrated, demo data, a TEST PKI. Two "nodes", each a gunicorn with
   `--web-workers` workers and a task worker (`manage.py db_worker`, as scripts/serve.sh runs it). The nodes share only
   the database, the file storage (`storage_env`: by default an S3 bucket on moto_server, the S3-compatible stand-in
   of tests/s3server.py; `--storage local` for a shared folder) and their configuration (secret key, PKI: what a
   secret store hands every node); each has its own MOTCUA_DATA_DIR, which nothing may need.
2. For `--duration` seconds: citizen clients submit 1.013133 with an Idempotency-Key, retrying with the same key on
   connection errors and 5xx (and switching node, as a load balancer would); officer clients walk the submitted
   dossiers through accept, complete_step, approve, return_result. Every request goes to a node picked at random.
3. Meanwhile: every few seconds (random) a gunicorn worker or a task worker gets SIGKILL (gunicorn's master respawns
   its workers; the supervisor thread here restarts task workers), and PostgreSQL stops immediately and starts again
   once, at about 40% of the run.
4. Then the task workers drain the outbox (`--drain` seconds at most) and the checks run on the database: every
   acknowledged submission exists exactly once, codes are unique, every history chains and ends at the dossier's
   status, every acknowledged action is in the history, every outbox event was delivered to every consumer, and
   `manage.py verify_files` finds every stored file intact in the shared storage.

Prints one table (count and verdict per invariant); exits 1 when an invariant is broken. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import queue
import random
import re
import secrets
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import common
from common import Gunicorn, HttpClient, PgMissing, PgServer, Site, Table, TaskWorker, motcua_site, print_table

from motcua.demo.samples import FIRST_REGISTRATION_FORM as FORM
from motcua.demo.samples import MINIMAL_PDF
from tests.s3server import MotoServer

COMPONENTS = ("to_khai", "phieu_tu_khai_suc_khoe", "cccd")
CITIZEN = "citizen.demo"
# What an officer does next for a dossier in a status: (account, action, body). 10 (returned) is the end.
NEXT_ACTION: dict[int, tuple[str, str, dict[str, Any]]] = {
    1: ("onestop.demo", "accept", {}),
    2: ("handler.demo", "complete_step", {"note": "Hồ sơ hợp lệ"}),
    4: ("leader.demo", "approve", {"note": "Đồng ý"}),
    9: ("onestop.demo", "return_result", {"method": "online"}),
}
OFFICERS = sorted({account for account, _action, _body in NEXT_ACTION.values()})


def storage_env(shared: Path, s3: MotoServer | None) -> dict[str, str]:
    """The file storage every node uses: a bucket of the S3 stand-in, or (no stand-in) a shared local folder."""
    if s3 is None:
        return {"MOTCUA_STORAGE": "local", "MOTCUA_MEDIA_ROOT": str(shared / "media")}
    s3.create_bucket("motcua-chaos")
    return s3.storage_env("motcua-chaos")


def shared_config(shared: Path) -> dict[str, str]:
    """What every node is configured with alike (in production: from the secret store / HSM, not a local disk), the
    shared cache (rate-limit counters in the database), and short outbox leases and retries so that the deliveries of
    a killed worker are retried within the drain time."""
    return {"MOTCUA_SECRET_KEY": secrets.token_urlsafe(50), "MOTCUA_PKI_DIR": str(shared / "pki"),
            "MOTCUA_PKI_PASSPHRASE": "", "MOTCUA_OUTBOX_LEASE_SECONDS": "10", "MOTCUA_OUTBOX_RETRY_BASE_SECONDS": "2",
            "MOTCUA_OUTBOX_RETRY_MAX_SECONDS": "10", "MOTCUA_OUTBOX_MAX_ATTEMPTS": "30",
            "MOTCUA_API_TOKEN_TTL_SECONDS": "7200", "MOTCUA_CACHE": "database"}


# --- clients --------------------------------------------------------------------------------------------------------

TRANSIENT = (OSError, http.client.HTTPException)


@dataclass
class Stats:
    """What the clients saw, shared by their threads (under `lock`)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[str] = field(default_factory=Counter)  # "submit 201", "accept 409", "GET transport error"...
    acknowledged: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> code of the 2xx answer
    unacknowledged: list[str] = field(default_factory=list)  # keys given up on (may or may not exist: at most once)
    retried_acknowledged: int = 0  # submissions acknowledged after at least one failed attempt
    replayed: int = 0  # 200 answers: an earlier attempt with the same key had created the dossier
    actions: list[tuple[str, str, int]] = field(default_factory=list)  # acknowledged (code, action, to-status)
    failures_at: list[float] = field(default_factory=list)  # monotonic times of 5xx answers and transport errors

    def count(self, what: str, status: int = 200) -> None:
        with self.lock:
            self.statuses[what] += 1
            if not status or status >= 500:
                self.failures_at.append(time.monotonic())


class Nodes:
    """One keep-alive connection per node for one client thread; requests go to a node picked at random."""

    def __init__(self, ports: list[int], rng: random.Random) -> None:
        self.clients = [HttpClient(port, timeout=30) for port in ports]
        self.rng = rng

    def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
        client = self.rng.choice(self.clients)
        try:
            return client.request(method, path, body, headers)
        except TRANSIENT:
            client.close()
            raise

    def close(self) -> None:
        for client in self.clients:
            client.close()


def _headers(token: str, **extra: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": f"Bearer {token}", **extra}


def citizen(ports: list[int], token: str, body: bytes, until: float, give_up: float, stats: Stats,
            submitted: queue.Queue[str], seed: int) -> None:
    """Submit back to back until `until`; each submission is retried with its key until acknowledged or `give_up`."""
    rng = random.Random(seed)
    nodes = Nodes(ports, rng)
    try:
        while time.monotonic() < until:
            key = uuid.uuid4().hex
            failures = 0
            while True:
                try:
                    status, answer = nodes.request("POST", "/api/v1/dossiers", body, _headers(token, **{
                        "Idempotency-Key": key}))
                except TRANSIENT:
                    status, answer = 0, b""
                stats.count(f"submit {status or 'transport error'}", status)
                if status in (200, 201):
                    code = json.loads(answer)["code"]
                    with stats.lock:
                        stats.acknowledged[key] = code
                        stats.retried_acknowledged += failures > 0
                        stats.replayed += status == 200
                    submitted.put(code)
                    break
                if (status and status < 500) or time.monotonic() > give_up:
                    with stats.lock:
                        stats.unacknowledged.append(key)
                    break
                failures += 1
                time.sleep(min(0.1 * 2 ** failures, 2.0) * rng.uniform(0.5, 1.0))
    finally:
        nodes.close()


def officer(ports: list[int], tokens: dict[str, str], until: float, give_up: float, stats: Stats,
            submitted: queue.Queue[str], seed: int) -> None:
    """Take submitted dossiers and walk each to 10 (returned). After a failed or refused action, read the dossier
    again and carry on from its status, as an officer reloading the page would."""
    rng = random.Random(seed)
    nodes = Nodes(ports, rng)

    def status_of(code: str) -> int | None:
        while time.monotonic() < give_up:
            try:
                status, answer = nodes.request("GET", f"/api/v1/dossiers/{code}", None,
                                               _headers(tokens["onestop.demo"]))
            except TRANSIENT:
                status, answer = 0, b""
            stats.count(f"GET {status or 'transport error'}", status)
            if status == 200:
                return int(json.loads(answer)["status"])
            time.sleep(rng.uniform(0.1, 0.5))
        return None

    try:
        while time.monotonic() < until:
            try:
                code = submitted.get(timeout=0.5)
            except queue.Empty:
                continue
            current: int | None = 1
            while current in NEXT_ACTION and time.monotonic() < until:
                account, action, payload = NEXT_ACTION[current]
                try:
                    status, answer = nodes.request("POST", f"/api/v1/dossiers/{code}/actions/{action}",
                                                   json.dumps(payload).encode(), _headers(tokens[account]))
                except TRANSIENT:
                    status, answer = 0, b""
                stats.count(f"{action} {status or 'transport error'}", status)
                if status == 200:
                    current = int(json.loads(answer)["status"])
                    with stats.lock:
                        stats.actions.append((code, action, current))
                    continue
                if status and status < 500 and status != 409:
                    break  # not expected: counted above, and the dossier is left where it is
                time.sleep(rng.uniform(0.1, 0.5))
                current = status_of(code)
    finally:
        nodes.close()


# --- faults ---------------------------------------------------------------------------------------------------------

@dataclass
class Faults:
    killed_web: int = 0
    killed_tasks: int = 0
    task_restarts: int = 0
    db_restarts: int = 0
    db_restart_seconds: float = 0.0
    db_back_at: float = 0.0  # monotonic time PostgreSQL accepted connections again
    log: list[str] = field(default_factory=list)


def supervise(workers: list[TaskWorker], stop: threading.Event, faults: Faults) -> None:
    """Restart any task worker that died (killed here or crashed on its own), like systemd's Restart=always."""
    while not stop.is_set():
        for worker in workers:
            if not worker.alive:
                time.sleep(0.5)
                worker.start()
                faults.task_restarts += 1
        stop.wait(0.3)


def inject(webs: list[Gunicorn], workers: list[TaskWorker], server: PgServer, start: float, duration: float,
           interval: tuple[float, float], stop: threading.Event, faults: Faults, rng: random.Random) -> None:
    """SIGKILL a random gunicorn worker or task worker every `interval` seconds (random); restart PostgreSQL once."""
    db_restart_at = start + duration * 0.4
    next_kill = start + rng.uniform(*interval)
    while not stop.is_set() and time.monotonic() < start + duration:
        now = time.monotonic()
        if faults.db_restarts == 0 and now >= db_restart_at:
            began = time.monotonic()
            server.restart()
            faults.db_restarts += 1
            faults.db_back_at = time.monotonic()
            faults.db_restart_seconds = faults.db_back_at - began
            faults.log.append(f"{now - start:5.1f} s  PostgreSQL stopped (immediate) and started again")
        elif now >= next_kill:
            next_kill = now + rng.uniform(*interval)
            if rng.random() < 0.6:
                web = rng.choice(webs)
                pids = web.worker_pids()
                if pids:
                    victim = rng.choice(pids)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(victim, signal.SIGKILL)
                        faults.killed_web += 1
                        faults.log.append(f"{now - start:5.1f} s  SIGKILL gunicorn worker {victim} (:{web.port})")
            else:
                worker = rng.choice(workers)
                if worker.alive and worker.process is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(worker.process.pid, signal.SIGKILL)
                        faults.killed_tasks += 1
                        faults.log.append(f"{now - start:5.1f} s  SIGKILL task worker {worker.name} "
                                          f"({worker.process.pid})")
        stop.wait(0.1)


# --- checks ---------------------------------------------------------------------------------------------------------

def sql_rows(server: PgServer, database: str, sql: str) -> list[list[str]]:
    """Rows of `sql` (psql unaligned output split on '|'): the checks read the database directly, not through the
    application they check."""
    return [line.split("|") for line in server.psql(sql, database).splitlines() if line]


def pending_deliveries(server: PgServer, database: str) -> int:
    return int(sql_rows(server, database,
                        "SELECT count(*) FROM integrations_outboxdelivery WHERE status = 'pending'")[0][0])


def drain(server: PgServer, database: str, timeout: float) -> float:
    """Wait until no outbox delivery is pending (or `timeout`); returns the seconds waited."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        with contextlib.suppress(RuntimeError):  # the server may still be recovering
            if pending_deliveries(server, database) == 0:
                break
        time.sleep(1.0)
    return time.monotonic() - began


SUBSCRIBERS = """
import json, django
django.setup()
from motcua.integrations.outbox import consumers
print(json.dumps({name: sorted(c.topics) for name, c in consumers().items()}))
"""


def verify(site: Site, stats: Stats, table: Table) -> bool:
    """Check the invariants on the database; add a row per check to `table`; True when all hold."""
    server, db = site.server, site.database
    ok = True

    def check(measure: str, broken: int, detail: str = "") -> None:
        nonlocal ok
        ok &= broken == 0
        table.add(measure, f"{broken}{detail}", "0", broken == 0)

    dossiers = {key: (code, int(count)) for key, code, count in sql_rows(server, db, (
        "SELECT idempotency_key, min(code), count(*) FROM dossiers_dossier WHERE idempotency_key IS NOT NULL "
        "GROUP BY idempotency_key"))}
    acknowledged = stats.acknowledged
    lost = [key for key in acknowledged if key not in dossiers]
    duplicated = [key for key, (_code, count) in dossiers.items() if count > 1]
    wrong_code = [key for key, code in acknowledged.items() if key in dossiers and dossiers[key][0] != code]
    table.add("acknowledged submissions (2xx)", str(len(acknowledged)),
              f"{stats.retried_acknowledged} after a failed attempt, {stats.replayed} answered 200 (replayed)")
    given_up = [key for key in stats.unacknowledged if key in dossiers]
    table.add("submissions given up (no 2xx)", str(len(stats.unacknowledged)), f"{len(given_up)} of them exist")
    check("lost: acknowledged key without a dossier", len(lost))
    check("duplicates: key with more than one dossier", len(duplicated))
    check("acknowledged code differs from the key's dossier", len(wrong_code))

    total, distinct = sql_rows(server, db, "SELECT count(*), count(DISTINCT code) FROM dossiers_dossier")[0]
    table.add("dossiers in the database", total)
    check("duplicate dossier codes", int(total) - int(distinct))

    events: dict[str, list[tuple[int, str, int | None, int]]] = {}
    status: dict[str, int] = {}
    for code, dossier_status, seq, action, from_status, to_status in sql_rows(server, db, (
            "SELECT d.code, d.status, e.seq, e.action, coalesce(e.from_status::text, ''), e.to_status "
            "FROM dossiers_dossier d LEFT JOIN dossiers_event e ON e.dossier_id = d.id ORDER BY d.code, e.seq")):
        status[code] = int(dossier_status)
        if seq:
            events.setdefault(code, []).append((int(seq), action, int(from_status) if from_status else None,
                                                int(to_status)))
    mismatched = []
    for code, dossier_status in status.items():
        history = events.get(code, [])
        chained = bool(history) and history[0][2] is None and [e[0] for e in history] == list(
            range(1, len(history) + 1)) and all(later[2] == earlier[3] for earlier, later in zip(
                history, history[1:], strict=False))
        if not chained or history[-1][3] != dossier_status:
            mismatched.append(code)
    check("history does not chain or end at the status", len(mismatched),
          f" ({', '.join(mismatched[:3])})" if mismatched else "")
    missing = [(code, action) for code, action, to_status in stats.actions
               if not any(e[1] == action and e[3] == to_status for e in events.get(code, []))]
    table.add("acknowledged actions (200)", str(len(stats.actions)),
              ", ".join(f"{a} {n}" for a, n in sorted(Counter(a for _c, a, _s in stats.actions).items())))
    check("acknowledged action missing from the history", len(missing))
    repeated = sum(1 for history in events.values()
                   for action, n in Counter(e[1] for e in history).items() if n > 1 and action != "submit")
    check("an action recorded twice on one dossier", repeated + sum(
        1 for history in events.values() if [e[1] for e in history].count("submit") != 1))

    subscribed = json.loads(site.run("-c", SUBSCRIBERS).strip().splitlines()[-1])
    rows = sql_rows(server, db, (
        "SELECT e.topic, count(DISTINCT e.id), count(d.id), count(d.id) FILTER (WHERE d.status = 'delivered'), "
        "count(d.id) FILTER (WHERE d.status = 'pending'), count(d.id) FILTER (WHERE d.status = 'failed') "
        "FROM integrations_outboxevent e LEFT JOIN integrations_outboxdelivery d ON d.event_id = e.id "
        "GROUP BY e.topic ORDER BY e.topic"))
    expected = delivered = pending = failed = 0
    for topic, n_events, _n_deliveries, n_delivered, n_pending, n_failed in rows:
        consumers = sum(1 for topics in subscribed.values() if topic in topics)
        expected += int(n_events) * consumers
        delivered, pending, failed = delivered + int(n_delivered), pending + int(n_pending), failed + int(n_failed)
    n_outbox = sum(int(row[1]) for row in rows)
    table.add("outbox events / deliveries delivered", f"{n_outbox} / {delivered}",
              f"{len(subscribed)} consumers")
    check("deliveries not delivered (pending, failed, missing)", expected - delivered,
          f" ({pending} pending, {failed} failed)" if expected != delivered else "")
    dossier_events = sum(len(history) for history in events.values())
    announced = int(sql_rows(server, db, "SELECT count(*) FROM integrations_outboxevent "
                                         "WHERE topic IN ('dossier.status_changed', 'dossier.updated')")[0][0])
    check("history events without their outbox event (or extra)", abs(dossier_events - announced))
    files = int(sql_rows(server, db, "SELECT count(*) FROM documents_storedfile")[0][0])
    try:
        report = site.run("manage.py", "verify_files", timeout=900)
        broken = 0
    except RuntimeError as failure:  # exits 1 listing every MISSING / CORRUPT file
        report = str(failure)
        broken = max(1, len(re.findall(r"^(?:MISSING|CORRUPT) ", report, flags=re.MULTILINE)))
    table.add("stored files (uploads, results, slips)", str(files))
    check("stored files missing or corrupt (verify_files)", broken)
    return ok


def logged_errors(logs: list[Path]) -> Counter[str]:
    """The exception lines ("SomeError: message") in the servers' and workers' logs, counted: what the 5xx were."""
    found: Counter[str] = Counter()
    for log in logs:
        with contextlib.suppress(OSError):
            for line in log.read_text(errors="replace").splitlines():
                if re.match(r"^[\w.]+(Error|Exception|Failure|Interrupted): ", line):
                    found[line[:160]] += 1
    return found


# --- main -----------------------------------------------------------------------------------------------------------

def login(port: int, username: str) -> str:
    client = HttpClient(port)
    try:
        return client.json("POST", "/api/v1/auth/token", {"username": username,
                                                          "password": common.DEMO_PASSWORD})["access_token"]
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load and faults (default 60)")
    parser.add_argument("--citizens", type=int, default=6, help="concurrent submitting clients")
    parser.add_argument("--officers", type=int, default=3, help="concurrent officer clients")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per instance")
    parser.add_argument("--kill-every", type=float, nargs=2, default=(2.0, 6.0), metavar=("MIN", "MAX"),
                        help="seconds between two SIGKILLs, drawn uniformly (default 2 6)")
    parser.add_argument("--drain", type=float, default=120, help="seconds at most for the outbox to drain")
    parser.add_argument("--seed", type=int, default=None, help="random seed (printed; reuse it to repeat a run)")
    parser.add_argument("--storage", choices=("s3", "local"), default="s3",
                        help="shared file storage: a bucket on moto_server (default) or a local folder")
    args = parser.parse_args(argv)
    if not 0 < args.duration <= 1800 or not 1 <= args.citizens <= 64 or not 1 <= args.officers <= 64:
        parser.error("duration up to 1800 s, 1-64 citizens and officers")
    if not 2 <= args.web_workers <= 16 or not 0 < args.kill_every[0] <= args.kill_every[1]:
        parser.error("2-16 web workers; --kill-every MIN MAX with 0 < MIN <= MAX")
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    rng = random.Random(seed)

    try:
        server = PgServer(durable=True, max_connections=200)
    except PgMissing as missing:
        print(f"bench/chaos.py: {missing}", file=sys.stderr)
        return 2
    stats, faults = Stats(), Faults()
    table = Table(f"bench/chaos.py: 2 gunicorn x {args.web_workers} workers + 2 task workers, one PostgreSQL "
                  f"(durable), files on {args.storage}, {args.citizens} citizens + {args.officers} officers, "
                  f"{args.duration:g} s, seed {seed}")
    with (common.stop_on_signals(), tempfile.TemporaryDirectory(prefix="motcua-chaos-") as tmp, server,
          contextlib.ExitStack() as s3_stack):
        shared = Path(tmp) / "shared"
        s3 = s3_stack.enter_context(MotoServer(Path(tmp))) if args.storage == "s3" else None
        config = {**storage_env(shared, s3), **shared_config(shared)}
        with motcua_site(server, **config) as site:
            site.run("manage.py", "pki_init")
            site.run("manage.py", "createcachetable")
            nodes = []
            for name in ("a", "b"):
                own = Path(tmp) / f"node-{name}"  # the node's local folder: nothing in it may be needed
                own.mkdir()
                nodes.append((name, {**site.env, "MOTCUA_DATA_DIR": str(own)}))
            with contextlib.ExitStack() as stack:
                webs = [stack.enter_context(Gunicorn(site, workers=args.web_workers, env=env)) for _n, env in nodes]
                workers = [TaskWorker(site, env=env, name=name) for name, env in nodes]
                for worker in workers:
                    stack.enter_context(worker)
                ports = [web.port for web in webs]
                ok = run_load(args, site, webs, workers, ports, stats, faults, rng, table)
    print_table(table)
    for line in faults.log:
        print(f"  {line}")
    return 0 if ok else 1


def run_load(args: argparse.Namespace, site: Site, webs: list[Gunicorn], workers: list[TaskWorker],
             ports: list[int], stats: Stats, faults: Faults, rng: random.Random, table: Table) -> bool:
    tokens = {name: login(ports[0], name) for name in [CITIZEN, *OFFICERS]}
    client = HttpClient(ports[1])  # uploaded through one node, submitted through both: the storage is shared
    files = [client.upload("/api/v1/files", f"{code}.pdf", MINIMAL_PDF, tokens[CITIZEN])["id"] for code in COMPONENTS]
    client.close()
    body = json.dumps({"procedure": "1.013133", "form": FORM,
                       "components": [{"code": c, "files": [f]} for c, f in zip(COMPONENTS, files, strict=True)]})
    submitted: queue.Queue[str] = queue.Queue()
    stop = threading.Event()
    start = time.monotonic()
    until, give_up = start + args.duration, start + args.duration + 60
    threads = [threading.Thread(target=citizen, args=(ports, tokens[CITIZEN], body.encode(), until, give_up, stats,
                                                       submitted, rng.getrandbits(32))) for _ in range(args.citizens)]
    threads += [threading.Thread(target=officer, args=(ports, tokens, until, give_up, stats, submitted,
                                                       rng.getrandbits(32))) for _ in range(args.officers)]
    supervisor = threading.Thread(target=supervise, args=(workers, stop, faults), daemon=True)
    chaos = threading.Thread(target=inject, args=(webs, workers, site.server, start, args.duration,
                                                  tuple(args.kill_every), stop, faults, rng), daemon=True)
    for thread in [supervisor, chaos, *threads]:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    chaos.join()
    supervisor.join()
    for worker in workers:  # the supervisor has stopped: make sure both drain
        if not worker.alive:
            worker.start()
            faults.task_restarts += 1
    elapsed = time.monotonic() - start
    waited = drain(site.server, site.database, args.drain)
    masters_alive = all(web.process is not None and web.process.poll() is None for web in webs)

    answers = ", ".join(f"{what} x{n}" for what, n in sorted(stats.statuses.items())
                        if not what.endswith((" 200", " 201")))
    table.add("load time / drain time", f"{elapsed:.0f} s / {waited:.0f} s", f"drain < {args.drain:g} s",
              waited < args.drain)
    table.add("faults: gunicorn workers / task workers SIGKILLed", f"{faults.killed_web} / {faults.killed_tasks}")
    table.add("faults: PostgreSQL restarts (immediate stop + start)", str(faults.db_restarts),
              f"{faults.db_restart_seconds:.1f} s down")
    table.add("task worker restarts by the supervisor", str(faults.task_restarts))
    table.add("answers other than 200/201 (retried)", answers or "none")
    if faults.db_back_at:
        after = [at - faults.db_back_at for at in stats.failures_at if at > faults.db_back_at]
        table.add("  5xx / transport errors after PostgreSQL was back",
                  f"{sum(1 for t in after if t <= 2)} within 2 s, {sum(1 for t in after if t > 2)} later",
                  "the later ones: SIGKILLed gunicorn workers")
    ok = verify(site, stats, table)
    table.add("gunicorn masters alive at the end", "yes" if masters_alive else "NO", "yes", masters_alive)
    errors = logged_errors([web.log for web in webs if web.log] + [worker.log for worker in workers])
    table.notes += [f"logged {n} x: {line}" for line, n in errors.most_common(12)]
    table.notes += [
        "Nodes share only PostgreSQL, the file storage (storage_env: S3 stand-in or a folder) and configuration;",
        "each has its own MOTCUA_DATA_DIR. The checks read the database directly.",
    ]
    return ok and masters_alive and waited < args.drain


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
