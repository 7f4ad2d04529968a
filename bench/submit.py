"""Benchmark: dossier submissions over HTTP on PostgreSQL, against pgbench running the same writes, and public tracking.

    .venv/bin/python bench/submit.py [--duration 20] [--clients 8] [--workers 4] [--threads 1] [--profile 200]

1. A throwaway PostgreSQL (durable settings: fsync and synchronous_commit on, as in production), `migrate`,
   `load_demo`; a probe process counts the SQL statements of one API submission and reads the ids pgbench needs.
2. gunicorn serves motcua on 127.0.0.1; `--clients` client processes each keep one connection and submit 1.013133
   for citizen.demo (the same unit, so the same day's sequence row) back to back for `--duration` seconds, after
   a warm-up. Printed: submissions/s, p50/p99 latency.
3. pgbench runs the writes of one submission (sequence upsert, dossier, files, step, event, outbox event and
   deliveries in one transaction, then the delivery task row) with the same number of clients: its TPS is what the
   database alone allows; app/pgbench says how much of it the application keeps.
4. Tracking: `GET /api/v1/track/{code}?key=` paced at `--track-rate` requests/s for `--track-duration` seconds on the
   dossiers just submitted. Latency counts from the scheduled send time (no coordinated omission).

Targets are printed beside the figures, not asserted. `--profile N` also runs N API submissions in one process under
cProfile and prints the top functions. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import common
from common import (
    CpuMeter,
    Gunicorn,
    HttpClient,
    PgMissing,
    PgServer,
    Table,
    motcua_site,
    percentile,
    print_table,
)

from motcua.demo.samples import FIRST_REGISTRATION_FORM as FORM
from motcua.demo.samples import MINIMAL_PDF

TARGET_SUBMISSIONS = 200.0  # per second
TARGET_RATIO = 0.3
TARGET_TRACK_P99_MS = 20.0
TRACK_RATE = 200.0

COMPONENTS = ("to_khai", "phieu_tu_khai_suc_khoe", "cccd")

# Runs inside motcua (a Django process on the bench database, Django's test client, no HTTP server): counts the
# statements of one API submission and of one tracking lookup, measures the CPU time of each (100 in a row), reads
# the ids the pgbench script needs, and with a profile count, profiles that many of each under cProfile.
PROBE = r"""
import cProfile, io, json, pstats, sys, time, uuid
from collections import Counter

import django

django.setup()

from django.db import connection
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.utils import CaptureQueriesContext

from motcua.dossiers.models import Dossier
from motcua.dossiers.services import Submission, submit
from motcua.identity.models import User
from motcua.integrations.outbox import subscribers
from motcua.organization.models import Unit

spec = json.loads(sys.argv[1])
client = Client(HTTP_HOST="127.0.0.1")
token = client.post("/api/v1/auth/token", {"username": "citizen.demo", "password": spec["password"]},
                    content_type="application/json").json()["access_token"]
auth = {"authorization": f"Bearer {token}"}
pdf = spec["pdf"].encode("latin-1")
files = [client.post("/api/v1/files", {"file": SimpleUploadedFile(code + ".pdf", pdf)}, headers=auth).json()["id"]
         for code in spec["components"]]
body = {"procedure": "1.013133", "form": spec["form"],
        "components": [{"code": code, "files": [file]} for code, file in zip(spec["components"], files)]}

def post():
    response = client.post("/api/v1/dossiers", body, content_type="application/json",
                           headers={**auth, "idempotency-key": uuid.uuid4().hex})
    assert response.status_code == 201, response.content
    return response.json()

post()  # the first request pays for imports and caches
# Read each capture at once: the next request through the test client resets Django's query log.
with CaptureQueriesContext(connection) as capture:
    code = post()["code"]
api_queries = [q["sql"] for q in capture.captured_queries]
user = User.objects.get(username="citizen.demo")
with CaptureQueriesContext(connection) as capture:
    submit(user, Submission(procedure="1.013133", form=spec["form"], components=body["components"]))
service_queries = len(capture.captured_queries)

def kind(sql):
    word = sql.lstrip().split(None, 1)[0].upper()
    return word if word in ("SELECT", "INSERT", "UPDATE", "DELETE") else "BEGIN/COMMIT/SAVEPOINT"

dossier = Dossier.objects.select_related("receiving_unit").get(code=code)
addresses = iter(range(10**6))


def track():  # each lookup from another address, so that none is refused by the per-address rate limit
    n = next(addresses)
    response = client.get(f"/api/v1/track/{code}", {"key": dossier.lookup_key},
                          REMOTE_ADDR=f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}")
    assert response.status_code == 200, response.content


track()
with CaptureQueriesContext(connection) as capture:
    track()
track_queries = len(capture.captured_queries)


def cpu_ms(call, count=100):
    started = time.process_time()
    for _ in range(count):
        call()
    return (time.process_time() - started) / count * 1000


out = {
    "api_queries": len(api_queries),
    "api_kinds": dict(Counter(kind(sql) for sql in api_queries)),
    "api_statements": [sql[:110] for sql in api_queries],
    "service_queries": service_queries,
    "track_queries": track_queries,
    "cpu_submit_ms": cpu_ms(post), "cpu_track_ms": cpu_ms(track),
    "ids": {"unit": dossier.receiving_unit_id, "agency": dossier.receiving_unit.agency_code,
            "procedure": dossier.procedure_id, "version": dossier.version_id, "user": user.pk, "files": files,
            "owner": dossier.owner, "step": dossier.current_step, "role": dossier.current_role,
            "identity_verified": dossier.identity_verified, "identity_method": dossier.identity_method,
            "dossier_columns": [f.column for f in Dossier._meta.concrete_fields if not f.primary_key],
            "procedure_name": {"vi": dossier.version.name_vi, "en": dossier.version.name_en},
            "consumers": subscribers("dossier.status_changed"),
            "units": sorted(Unit.objects.values_list("id", flat=True))},
}
if spec["profile"]:
    # CPU time (time.process_time), not wall time: waits on PostgreSQL and on other processes do not count.
    def profile(call, count):
        profiler = cProfile.Profile(time.process_time)
        started = time.process_time()
        profiler.enable()
        for _ in range(count):
            call()
        profiler.disable()
        spent = (time.process_time() - started) / count
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(20)
        return f"{spent * 1000:.1f} ms CPU per request under the profiler\n" + text.getvalue()

    out["profile"] = ("--- API submission ---\n" + profile(post, spec["profile"])
                      + "\n--- tracking lookup ---\n" + profile(track, spec["profile"]))
print(json.dumps(out))
"""


# --- submissions ----------------------------------------------------------------------------------------------------

def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def submit_client(port: int, token: str, body: bytes, start: float, warmup: float, duration: float) -> dict[str, Any]:
    """One client: submit back to back on one connection from `start` until the end of the measured window."""
    client = HttpClient(port)
    measured_from, until = start + warmup, start + warmup + duration
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    samples: list[tuple[str, str]] = []
    created = 0
    while time.monotonic() < start:
        time.sleep(0.001)
    cpu = _own_cpu()
    try:
        while (sent := time.monotonic()) < until:
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                       "Idempotency-Key": uuid.uuid4().hex}
            status, answer = client.request("POST", "/api/v1/dossiers", body, headers)
            done = time.monotonic()
            created += status == 201
            if sent >= measured_from and done <= until:
                statuses[status] += 1
                if status == 201:
                    latencies.append(done - sent)
            if status == 201 and len(samples) < 400:
                reply = json.loads(answer)
                samples.append((reply["code"], reply["lookup_key"]))
    finally:
        client.close()
    return {"latencies": latencies, "statuses": dict(statuses), "samples": samples, "created": created,
            "cpu": _own_cpu() - cpu}


def run_submissions(port: int, token: str, files: list[str], clients: int, warmup: float,
                    duration: float) -> dict[str, Any]:
    body = json.dumps({"procedure": "1.013133", "form": FORM,
                       "components": [{"code": c, "files": [f]} for c, f in zip(COMPONENTS, files, strict=True)]})
    start = time.monotonic() + 1.0
    with ProcessPoolExecutor(clients, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(submit_client, port, token, body.encode(), start, warmup, duration)
                   for _ in range(clients)]
        results = [future.result(timeout=warmup + duration + 120) for future in futures]
    latencies = [value for result in results for value in result["latencies"]]
    statuses: Counter[int] = Counter()
    for result in results:
        statuses.update({int(k): v for k, v in result["statuses"].items()})
    return {"rate": len(latencies) / duration, "p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
            "count": len(latencies), "errors": {k: v for k, v in statuses.items() if k != 201},
            "created": sum(result["created"] for result in results),
            "client_cpu": sum(result["cpu"] for result in results),
            "samples": [sample for result in results for sample in result["samples"]]}


# --- pgbench --------------------------------------------------------------------------------------------------------

def _literal(value: Any) -> str:
    """A JSON value as an SQL literal (the app sends the same JSON through psycopg)."""
    return "'" + json.dumps(value).replace("'", "''") + "'::jsonb"


def pgbench_script(ids: dict[str, Any], spread: tuple[int, int] | None = None) -> str:
    """The writes of one submission (captured from motcua's SQL, same tables, columns and sizes) as a pgbench script.

    The dossiers it writes are dated 2001-01-01 so their codes and sequence row never meet the app's. Like the app,
    every transaction goes through one (unit, day) sequence row; with `spread` (lowest, highest unit id), each picks
    a unit at random, which shows what the one hot row costs."""
    user, day = ids["user"], "2001-01-01"
    number = "lpad(:last::text, greatest(4, length(:last::text)), '0')"
    if spread:
        unit, code = ":unit", f"'U' || :unit || '-010101-' || {number}"
    else:
        unit, code = str(ids["unit"]), f"'{ids['agency']}-010101-' || {number}"
    key = f"'pgbench-' || {unit} || '-' || :last"
    owner = _literal(ids["owner"])
    form = _literal(FORM)
    request_hash = "'" + "0" * 64 + "'"
    files = ",".join(ids["files"])
    components = ",".join(COMPONENTS)
    consumers = ",".join(ids["consumers"])
    n_consumers = len(ids["consumers"])
    payload = ("json_build_object('code', {code}, 'status', 1, 'status_label', json_build_object('vi', 'Mới đăng "
               "ký', 'en', 'Newly registered'), 'previous_status', null, 'action', 'submit', 'procedure_code', "
               "'1.013133', 'procedure_name', {name}, 'applicant_id', {user}, 'applicant_email', "
               "'nguyen.van.an@example.vn', 'applicant_name', 'Nguyễn Văn An', 'lookup_key', 'ABCDEFGH', 'due_at', "
               "null, 'note', '', 'at', now(), 'unit', '{agency}', 'channel', 2, 'seq', 1)::jsonb").format(
        code=code, name=_literal(ids["procedure_name"]), user=user, agency=ids["agency"])
    # The dossier row as the app writes it at submission, column by column; the INSERT follows the model's columns
    # (sent by the probe), so a column added to or removed from the model stops the benchmark with its name.
    verified = ids["identity_verified"]
    dossier = {
        "code": code, "lookup_key": "'ABCDEFGH'", "procedure_id": ids["procedure"], "version_id": ids["version"],
        "applicant_id": user, "submitted_by_id": user, "owner": owner, "owner_id_number": "'001209012345'",
        "owner_name": "'Nguyễn Văn An'", "channel": 2,
        "identity_verified": "true" if verified else "false", "identity_method": f"'{ids['identity_method']}'",
        "identity_verified_at": "now()" if verified else "NULL", "receiving_unit_id": unit,
        "current_unit_id": unit, "status": 1, "current_step": f"'{ids['step']}'", "current_role": f"'{ids['role']}'",
        "form_data": form, "revision": 1, "submitted_at": "now()", "accepted_at": "NULL", "due_at": "NULL",
        "step_due_at": "NULL", "paused_since": "NULL", "resume_status": "NULL", "finished_at": "NULL",
        "returned_at": "NULL", "outcome": "''", "late": "NULL", "supplement_requests": 0, "apologies": 0,
        "idempotency_key": key, "request_hash": request_hash, "updated_at": "now()",
    }
    if set(dossier) != set(ids["dossier_columns"]):
        raise RuntimeError(f"bench/submit.py's dossier INSERT is out of date: missing "
                           f"{sorted(set(ids['dossier_columns']) - set(dossier))}, "
                           f"gone {sorted(set(dossier) - set(ids['dossier_columns']))}")
    dossier_columns = ", ".join(f'"{c}"' for c in ids["dossier_columns"])
    dossier_values = ", ".join(str(dossier[c]) for c in ids["dossier_columns"])
    return "\n".join([
        f"\\set unit random({spread[0]}, {spread[1]})" if spread else "",
        "BEGIN;",
        f'INSERT INTO "dossiers_dossiersequence" (unit_id, day, last) VALUES ({unit}, \'{day}\'::date, 1) '
        f'ON CONFLICT (unit_id, day) DO UPDATE SET last = "dossiers_dossiersequence".last + 1 RETURNING last \\gset',
        f'INSERT INTO "dossiers_dossier" ({dossier_columns}) VALUES ({dossier_values}) '
        f'RETURNING "dossiers_dossier"."id" AS dossier \\gset',
        f'INSERT INTO "dossiers_dossierfile" ("dossier_id", "component_code", "revision", "file_id", "created_at") '
        f"SELECT * FROM UNNEST(array_fill(:dossier::bigint, ARRAY[3]), ('{{{components}}}')::varchar[], "
        f"('{{1,1,1}}')::integer[], ('{{{files}}}')::uuid[], array_fill(now(), ARRAY[3])) "
        f'RETURNING "dossiers_dossierfile"."id";',
        f'INSERT INTO "dossiers_steprecord" ("dossier_id", "step", "unit_id", "started_at", "due_at", "finished_at", '
        f"\"finished_by_id\") VALUES (:dossier, '{ids['step']}', {unit}, now(), NULL, NULL, NULL) "
        f'RETURNING "dossiers_steprecord"."id";',
        f'INSERT INTO "dossiers_event" ("dossier_id", "seq", "action", "actor_id", "actor_name", "actor_role", '
        f'"unit_id", "at", "from_status", "to_status", "from_step", "to_step", "note", "data", "public") VALUES '
        f"(:dossier, 1, 'submit', {user}, 'Nguyễn Văn An', 'applicant', {unit}, now(), NULL, 1, '', "
        f"'{ids['step']}', '', '{{}}'::jsonb, true) RETURNING \"dossiers_event\".\"id\";",
        f'INSERT INTO "integrations_outboxevent" ("topic", "key", "payload", "created_at") VALUES '
        f"('dossier.status_changed', {code}, {payload}, now()) RETURNING \"integrations_outboxevent\".\"id\" "
        f"AS event \\gset",
        f'INSERT INTO "integrations_outboxdelivery" ("event_id", "consumer", "status", "attempts", '
        f'"next_attempt_at", "last_error", "delivered_at") SELECT * FROM UNNEST(array_fill(:event::bigint, '
        f"ARRAY[{n_consumers}]), ('{{{consumers}}}')::varchar[], array_fill('pending'::varchar, ARRAY[{n_consumers}]), "
        f"array_fill(0, ARRAY[{n_consumers}]), array_fill(now(), ARRAY[{n_consumers}]), "
        f"array_fill(''::text, ARRAY[{n_consumers}]), array_fill(NULL::timestamptz, ARRAY[{n_consumers}])) "
        f'RETURNING "integrations_outboxdelivery"."id";',
        "COMMIT;",
        # After the commit, in its own transaction as in the app: the outbox delivery task is enqueued.
        'INSERT INTO "django_tasks_database_dbtaskresult" ("id", "status", "enqueued_at", "started_at", '
        '"finished_at", "args_kwargs", "priority", "task_path", "worker_ids", "queue_name", "backend_name", '
        '"run_after", "return_value", "exception_class_path", "traceback") VALUES (gen_random_uuid(), \'READY\', '
        "now(), NULL, NULL, '{\"args\": [], \"kwargs\": {}}'::jsonb, 0, "
        "'motcua.integrations.tasks.deliver_outbox', '[]'::jsonb, 'default', 'default', "
        "'9999-01-01 00:00:00+00:00'::timestamptz, NULL, '', '');",
        "",
    ])


def run_pgbench(server: PgServer, database: str, script: str, clients: int, duration: float) -> dict[str, Any]:
    """Run `script` with pgbench; TPS, average latency, and the CPU seconds of PostgreSQL and of pgbench."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", prefix="motcua-pgbench-", delete=True) as handle:
        handle.write(script)
        handle.flush()
        command = [server.bin("pgbench"), *server.libpq_args(database), "-n", "-M", "simple", "-f", handle.name,
                   "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(max(1, round(duration)))]
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        with CpuMeter(None, server.pid) as meter:
            result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120, check=False,
                                    env=server.client_env())
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"pgbench failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-4000:]}")
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", result.stdout)
    done = re.search(r"number of transactions actually processed: (\d+)", result.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    if tps is None or done is None:
        raise RuntimeError(f"pgbench printed no TPS:\n{result.stdout}")
    return {"tps": float(tps.group(1)), "latency_ms": float(latency.group(1)) if latency else float("nan"),
            "transactions": int(done.group(1)), "failed": int(failed.group(1)) if failed else 0, "meter": meter,
            "pgbench_cpu": (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)}


# --- tracking -------------------------------------------------------------------------------------------------------

def track_client(port: int, share: list[tuple[float, str]], subnet: int, connections: int,
                 threads: int) -> dict[str, Any]:
    """Send the requests of `share` ((scheduled monotonic time, path) pairs) on time, from a pool of threads, over
    `connections` keep-alive connections used in turn, each from its own loopback address 127.0.<subnet>.<n>: like
    many citizens, each far under the per-address rate limit."""
    idle: queue.Queue[HttpClient] = queue.Queue()
    clients = [HttpClient(port, source=f"127.0.{subnet}.{n}", timeout=10) for n in range(1, connections + 1)]
    for client in clients:
        idle.put(client)
    lock = threading.Lock()
    latencies: list[float] = []
    service: list[float] = []
    statuses: Counter[int] = Counter()

    def one(scheduled: float, path: str) -> None:
        client = idle.get()  # the least recently used connection (FIFO): the addresses take turns
        sent = time.monotonic()
        try:
            status, _body = client.request("GET", path)
        except OSError:
            status = 0
            client.close()
        finally:
            idle.put(client)
        done = time.monotonic()
        with lock:
            statuses[status] += 1
            if status == 200:
                latencies.append(done - scheduled)
                service.append(done - sent)

    cpu = _own_cpu()
    try:
        with ThreadPoolExecutor(threads) as pool:
            for scheduled, path in share:
                delay = scheduled - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(one, scheduled, path)
    finally:
        for client in clients:
            client.close()
    return {"latencies": latencies, "service": service, "statuses": dict(statuses),
            "last": time.monotonic(), "cpu": _own_cpu() - cpu}


def run_tracking(port: int, samples: list[tuple[str, str]], rate: float, duration: float,
                 processes: int = 2) -> dict[str, Any]:
    total = int(rate * duration)
    start = time.monotonic() + 1.0
    schedule = [(start + i / rate, f"/api/v1/track/{samples[i % len(samples)][0]}?key={samples[i % len(samples)][1]}")
                for i in range(total)]
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(track_client, port, schedule[index::processes], 10 + index, 100, 48)
                   for index in range(processes)]
        results = [future.result(timeout=duration + 120) for future in futures]
    latencies = [value for result in results for value in result["latencies"]]
    service = [value for result in results for value in result["service"]]
    statuses: Counter[int] = Counter()
    for result in results:
        statuses.update({int(k): v for k, v in result["statuses"].items()})
    elapsed = max(result["last"] for result in results) - start
    return {"rate": len(latencies) / max(elapsed, duration), "p50": percentile(latencies, 0.5),
            "p99": percentile(latencies, 0.99), "service_p99": percentile(service, 0.99), "count": len(latencies),
            "requests": sum(statuses.values()), "errors": {k: v for k, v in statuses.items() if k != 200},
            "client_cpu": sum(result["cpu"] for result in results)}


# --- main -----------------------------------------------------------------------------------------------------------

def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _cpu_line(meter: CpuMeter, count: int, client_cpu: float, client_name: str) -> str:
    """CPU ms per operation of the app, PostgreSQL and the load generator, and how busy the machine was."""
    if not count:
        return "-"
    wall = meter.used["wall"] * (os.cpu_count() or 1)
    ours = meter.used["app"] + meter.used["db"] + client_cpu
    others = max(0.0, meter.used["busy"] - ours)
    app = f"app {_ms(meter.used['app'] / count)}, " if meter.app_pid else ""
    return (f"{app}PostgreSQL {_ms(meter.used['db'] / count)}, {client_name} {_ms(client_cpu / count)} ms; "
            f"machine {meter.busy_fraction:.0%} busy, {others / wall:.0%} not ours (other processes, kernel)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20, help="measured seconds of submissions (default 20)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of submissions before measuring")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients and pgbench clients")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (>1 uses the gthread worker)")
    parser.add_argument("--track-rate", type=float, default=TRACK_RATE, help="tracking requests/s (paced)")
    parser.add_argument("--track-duration", type=float, default=10, help="seconds of tracking requests")
    parser.add_argument("--profile", type=int, default=0, help="also profile this many API submissions (cProfile)")
    parser.add_argument("--no-fsync", action="store_true",
                        help="diagnosis only: run the server with fsync and synchronous_commit off (both sides)")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 64 or not 1 <= args.workers <= 32 or not 1 <= args.threads <= 32:
        parser.error("clients 1-64, workers 1-32, threads 1-32")
    if not 0 < args.duration <= 600 or not 0 < args.track_duration <= 600 or not 0 < args.track_rate <= 5000:
        parser.error("durations up to 600 s, tracking rate up to 5000/s")

    try:
        server = PgServer(durable=not args.no_fsync, max_connections=200)
    except PgMissing as missing:
        print(f"bench/submit.py: {missing}", file=sys.stderr)
        return 2
    load_before = os.getloadavg()[0]
    with common.stop_on_signals(), server, motcua_site(server) as site:
        probe = json.loads(site.run("-c", PROBE, json.dumps({
            "password": common.DEMO_PASSWORD, "pdf": MINIMAL_PDF.decode("latin-1"), "form": FORM,
            "components": COMPONENTS, "profile": args.profile})).strip().splitlines()[-1])
        worker_class = "gthread" if args.threads > 1 else "sync"
        with Gunicorn(site, workers=args.workers, threads=args.threads, worker_class=worker_class) as web:
            client = HttpClient(web.port)
            token = client.json("POST", "/api/v1/auth/token",
                                {"username": "citizen.demo", "password": common.DEMO_PASSWORD})["access_token"]
            files = [client.upload("/api/v1/files", f"{code}.pdf", MINIMAL_PDF, token)["id"] for code in COMPONENTS]
            client.close()
            with CpuMeter(web.process.pid, server.pid) as submit_cpu:
                submissions = run_submissions(web.port, token, files, args.clients, args.warmup, args.duration)
            if not submissions["samples"]:
                raise RuntimeError(f"no submission succeeded: {submissions['errors']}\n{web.log_tail()}")
            ids = {**probe["ids"], "files": files}
            pgbench = run_pgbench(server, site.database, pgbench_script(ids), args.clients, args.duration)
            units = ids["units"]
            spread = None
            if len(units) > 1 and units == list(range(units[0], units[-1] + 1)):
                spread = run_pgbench(server, site.database, pgbench_script(ids, (units[0], units[-1])),
                                     args.clients, min(args.duration, 10))
            with CpuMeter(web.process.pid, server.pid) as track_cpu:
                tracking = run_tracking(web.port, submissions["samples"], args.track_rate, args.track_duration)
            label = web.label

    ratio = submissions["rate"] / pgbench["tps"] if pgbench["tps"] else float("nan")
    durability = "fsync OFF (diagnosis)" if args.no_fsync else "durable (fsync on)"
    table = Table(f"bench/submit.py: PostgreSQL {server.bindir.parent.name} {durability}, {label}, "
                  f"{args.clients} clients, {os.cpu_count()} CPUs, {args.duration:g} s")
    table.add("submissions/s (HTTP, 1.013133, one unit)", f"{submissions['rate']:.1f}", f">= {TARGET_SUBMISSIONS:g}",
              submissions["rate"] >= TARGET_SUBMISSIONS)
    table.add("  latency p50 / p99", f"{_ms(submissions['p50'])} / {_ms(submissions['p99'])} ms")
    table.add("  non-201 answers", str(submissions["errors"] or 0))
    table.add("  CPU per submission", _cpu_line(submit_cpu, submissions["created"], submissions["client_cpu"],
                                                "HTTP client"))
    table.add("pgbench TPS (same writes, same clients)", f"{pgbench['tps']:.1f}")
    table.add("  pgbench latency average", f"{pgbench['latency_ms']:.1f} ms")
    table.add("  CPU per transaction", _cpu_line(pgbench["meter"], pgbench["transactions"], pgbench["pgbench_cpu"],
                                                 "pgbench"))
    if spread:
        table.add(f"  pgbench TPS, writes spread over {len(units)} units", f"{spread['tps']:.1f}")
    table.add("ratio app / pgbench", f"{ratio:.2f}", f">= {TARGET_RATIO:g}", ratio >= TARGET_RATIO)
    table.add(f"tracking rate achieved (asked {args.track_rate:g}/s)", f"{tracking['rate']:.1f}/s")
    table.add("  tracking latency p50 / p99", f"{_ms(tracking['p50'])} / {_ms(tracking['p99'])} ms",
              f"p99 < {TARGET_TRACK_P99_MS:g} ms", tracking["p99"] * 1000 < TARGET_TRACK_P99_MS)
    table.add("  tracking non-200 answers", str(tracking["errors"] or 0))
    table.add("  CPU per lookup", _cpu_line(track_cpu, tracking["requests"], tracking["client_cpu"], "HTTP client"))
    table.add("SQL statements per API submission", f"{probe['api_queries']}  "
              + ", ".join(f"{k} {v}" for k, v in sorted(probe["api_kinds"].items())))
    table.add("SQL statements in services.submit", str(probe["service_queries"]))
    table.add("SQL statements per tracking lookup", str(probe["track_queries"]))
    table.add("Django CPU per request, one process, no HTTP",
              f"submission {probe['cpu_submit_ms']:.1f} ms, tracking lookup {probe['cpu_track_ms']:.1f} ms")
    table.notes += [
        f"Load average before the run: {load_before:.1f}; everything (clients, app, PostgreSQL) shares this machine.",
        "Both sides of the ratio run on the same server settings; every submission goes to the same unit and day,",
        "so all of them queue on one sequence row (the spread pgbench line shows what that row costs).",
        "Tracking requests come from 200 loopback addresses (many citizens), each under the per-address limit;",
        "their latency counts from the scheduled send time.",
    ]
    print_table(table)
    if args.profile:
        print("\nStatements of one API submission:")
        for index, statement in enumerate(probe["api_statements"], 1):
            print(f"  {index:2d}. {statement}")
        print(f"\ncProfile of {args.profile} API submissions in one process:\n{probe['profile']}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
