"""`make bench`: run every benchmark under bench/ one after the other, then print one table of all their figures with
their targets. A benchmark that fails is listed as such (its own output above says why) and the others still run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import Table, print_table

HERE = Path(__file__).resolve().parent
NOT_BENCHMARKS = {"common.py", "all.py"}


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in NOT_BENCHMARKS)
    failed: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.jsonl"
        results.touch()
        for script in scripts:
            print(f"\n=== {script.name}", flush=True)
            env = {**os.environ, "MOTCUA_BENCH_RESULTS": str(results)}
            run = subprocess.run([sys.executable, str(script)], env=env, check=False)
            if run.returncode != 0:
                failed.append(f"{script.name} (exit {run.returncode})")
        rows = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line]
    table = Table("All benchmarks (make bench)")
    for row in rows:
        table.add(f"{row['bench']}: {row['measure']}", row["value"], row["target"])
        table.rows[-1].verdict = row["verdict"]
    table.notes = [f"FAILED: {name}" for name in failed]
    os.environ.pop("MOTCUA_BENCH_RESULTS", None)
    print_table(table)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
