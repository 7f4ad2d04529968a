"""Benchmark of the open data: regenerating every dataset, and the CKAN action API and DCAT catalog reads.

    .venv/bin/python bench/opendata.py

SQLite (WAL) in a temporary folder: `migrate`, `load_demo`, a simulated year of OPENDATA_BENCH_DOSSIERS dossiers
(default 20,000), then in one process: a first refresh (everything written), a second one (nothing changed: the
cost of a scheduled run on a quiet system), and 20 calls each of `package_search` (with facets), `package_show`
and the Turtle catalog (median and p95). Figures are printed, not asserted.
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
from common import Table, percentile, print_table

REPO = common.REPO
PROFILE_VOLUME = 116182


def child() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    django.setup()
    from motcua.dossiers.models import Dossier
    from motcua.index766.simulate import load_profile, simulate
    from motcua.opendata import ckan, dcat, services

    wanted = int(os.environ.get("OPENDATA_BENCH_DOSSIERS", "20000"))
    simulate(load_profile("mod-2024"), scale=wanted / PROFILE_VOLUME, seed=1)
    out: dict[str, float] = {"dossiers": Dossier.objects.count()}
    for name in ("first", "second"):
        began = time.perf_counter()
        report = services.refresh_all()
        out[f"{name}_refresh_s"] = time.perf_counter() - began
        out[f"{name}_changed"] = len(report.changed)
    calls = {
        "search": lambda: ckan.call("package_search", {"q": "hồ sơ", "facet.field": '["groups","tags"]'}, "http://x"),
        "show": lambda: ckan.call("package_show", {"id": "ho-so-theo-thang"}, "http://x"),
        "dcat": lambda: dcat.serialize("http://x", "turtle"),
    }
    for name, fn in calls.items():
        samples = []
        for _ in range(20):
            began = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - began) * 1000)
        out[f"{name}_p50"], out[f"{name}_p95"] = statistics.median(samples), percentile(samples, 0.95)
    print(json.dumps(out))


def figures() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="motcua-bench-opendata-") as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MOTCUA_", "PG"))}
        env.update(DJANGO_SETTINGS_MODULE="motcua.settings", MOTCUA_DATA_DIR=data_dir, MOTCUA_DEMO="1",
                   PYTHONPATH=str(REPO), MOTCUA_LOG_LEVEL="WARNING")
        for args in (["migrate", "--noinput", "-v0"], ["load_demo", "--quiet-accounts"]):
            subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, check=True, capture_output=True)
        result = subprocess.run([sys.executable, __file__, "--child"], cwd=REPO, env=env, capture_output=True,
                                text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-4000:])
        return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    with common.stop_on_signals():
        f = figures()
    t = Table(f"Open data on SQLite: {int(f['dossiers']):,} dossiers")
    t.add("refresh, all 13 datasets written", f"{f['first_refresh_s']:.1f} s")
    t.add("refresh, nothing changed", f"{f['second_refresh_s']:.1f} s ({int(f['second_changed'])} changed)")
    for name, label in (("search", "package_search with facets"), ("show", "package_show"),
                        ("dcat", "catalog.ttl (rdflib)")):
        t.add(label, f"p50 {f[f'{name}_p50']:.1f} ms, p95 {f[f'{name}_p95']:.1f} ms")
    print_table(t)


if __name__ == "__main__":
    if "--child" in sys.argv:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        child()
    else:
        main()
