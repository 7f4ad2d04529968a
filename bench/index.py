"""Benchmark of the service-quality index: simulator import speed, full recompute, scorecard reads, incremental cost.

    .venv/bin/python bench/index.py

For each backend (SQLite in WAL mode in a temporary folder; PostgreSQL on a throwaway server, tests/postgres):
`migrate`, `load_demo`, then in one process:

1. import speed: `simulate --profile mod-2024` of INDEX_BENCH_IMPORT dossiers (default 20,000), dossiers/s through
   the history import, the index counters included (the import updates them once a batch; target >= 5,000/s);
2. the database grown to INDEX_BENCH_DOSSIERS dossiers in all (default 1,000,000; set it lower on a small machine:
   the size used is printed), then a full `recompute_index`;
3. scorecard read latency (the ministry, year 2024 and one month; 20 reads each, median and p95; target < 100 ms);
4. cost per event of the incremental update (the outbox consumer's work for one dossier, 300 dossiers).

INDEX_BENCH_BACKENDS=sqlite,postgres chooses the backends. Figures are printed, not asserted.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
from common import PgMissing, PgServer, Table, percentile, print_table

REPO = common.REPO
PROFILE_VOLUME = 116182


def child() -> None:
    """Runs inside the site's environment; prints one JSON line of figures."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    django.setup()
    from motcua.dossiers.models import Dossier
    from motcua.index766 import queries, services
    from motcua.index766.models import Counter
    from motcua.index766.periods import Period
    from motcua.index766.simulate import load_profile, simulate
    from motcua.organization.models import Unit

    total = int(os.environ.get("INDEX_BENCH_DOSSIERS", "1000000"))
    first = min(int(os.environ.get("INDEX_BENCH_IMPORT", "20000")), total)
    out: dict[str, float] = {}
    profile = load_profile("mod-2024")
    began = time.perf_counter()
    report = simulate(profile, scale=first / PROFILE_VOLUME, seed=1)
    took = time.perf_counter() - began
    out.update(import_dossiers=report.dossiers, import_events=report.events, import_seconds=took,
               import_rate=report.dossiers / took, import_errors=len(report.errors))
    year = 2023
    remaining = total - Dossier.objects.count()
    while remaining > 0:  # earlier years: codes never collide with the first import
        chunk = min(remaining, 400_000)
        grown = simulate({**profile, "year": year}, scale=chunk / PROFILE_VOLUME, seed=year)
        remaining -= max(grown.dossiers, 1)
        year -= 1
    out["dossiers"] = Dossier.objects.count()
    out["counters"] = Counter.objects.count()
    began = time.perf_counter()
    services.recompute()
    out["recompute_seconds"] = time.perf_counter() - began
    root = Unit.objects.get(parent__isnull=True)
    for name, period in (("year", Period(2024)), ("month", Period(2024, month=6))):
        samples = []
        for _ in range(20):
            began = time.perf_counter()
            queries.scorecard(queries.context(root, period))
            samples.append((time.perf_counter() - began) * 1000)
        out[f"read_{name}_p50"] = statistics.median(samples)
        out[f"read_{name}_p95"] = percentile(samples, 0.95)
    ids = list(Dossier.objects.order_by("?").values_list("pk", flat=True)[:300])
    began = time.perf_counter()
    for pk in ids:
        services.apply([pk])
    out["event_ms"] = (time.perf_counter() - began) * 1000 / max(len(ids), 1)
    print(json.dumps(out))


def run_child(env: dict[str, str]) -> dict[str, float]:
    result = subprocess.run([sys.executable, __file__, "--child"], cwd=REPO, env=env, capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-4000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def sqlite_figures() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="motcua-bench-index-") as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MOTCUA_", "PG"))}
        env.update(DJANGO_SETTINGS_MODULE="motcua.settings", MOTCUA_DATA_DIR=data_dir, MOTCUA_DEMO="1",
                   PYTHONPATH=str(REPO), MOTCUA_LOG_LEVEL="WARNING")
        for args in (["migrate", "--noinput", "-v0"], ["load_demo", "--quiet-accounts"]):
            subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, check=True, capture_output=True)
        return run_child(env)


def postgres_figures() -> dict[str, float]:
    with PgServer() as server, common.motcua_site(server) as site:
        return run_child(site.env)


def table(name: str, f: dict[str, float]) -> Table:
    t = Table(f"Index 766 on {name}: {int(f['dossiers']):,} dossiers, {int(f['counters']):,} counter rows")
    t.add("simulator import", f"{f['import_rate']:,.0f} dossiers/s ({int(f['import_dossiers']):,} dossiers, "
          f"{int(f['import_events']):,} events, {f['import_seconds']:.1f} s)", ">= 5,000/s",
          f["import_rate"] >= 5000)
    t.add("full recompute", f"{f['recompute_seconds']:.1f} s ({f['dossiers'] / f['recompute_seconds']:,.0f} "
          "dossiers/s)", "")
    for name_, label in (("year", "scorecard, ministry, a year"), ("month", "scorecard, ministry, a month")):
        t.add(label, f"p50 {f[f'read_{name_}_p50']:.1f} ms, p95 {f[f'read_{name_}_p95']:.1f} ms", "< 100 ms",
              f[f"read_{name_}_p95"] < 100)
    t.add("incremental update", f"{f['event_ms']:.2f} ms per event", "")
    if f["import_errors"]:
        t.notes.append(f"{int(f['import_errors'])} generated rows were refused.")
    return t


def main() -> None:
    backends = os.environ.get("INDEX_BENCH_BACKENDS", "sqlite,postgres").split(",")
    print(f"INDEX_BENCH_DOSSIERS={os.environ.get('INDEX_BENCH_DOSSIERS', '1000000')} "
          f"INDEX_BENCH_IMPORT={os.environ.get('INDEX_BENCH_IMPORT', '20000')}")
    with common.stop_on_signals():
        if "sqlite" in backends:
            print_table(table("SQLite", sqlite_figures()))
        if "postgres" in backends:
            try:
                print_table(table("PostgreSQL", postgres_figures()))
            except PgMissing as exc:
                print(f"PostgreSQL skipped: {exc}")


if __name__ == "__main__":
    if "--child" in sys.argv:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        child()
    else:
        main()
