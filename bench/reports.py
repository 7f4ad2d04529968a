"""Benchmark: the bottleneck and early-warning reports over a month of history.

    .venv/bin/python bench/reports.py [--dossiers 20000] [--active 2000]

Runs in one process on a throwaway SQLite site (a temporary MOTCUA_DATA_DIR): migrate, `load_demo`, then `--dossiers`
1.013133 dossiers of the demo commune written directly (bulk inserts), each with four history events over November
2026 (submit, accept, complete_step, approve: a pass through reception, appraisal and approval), and `--active` of them
left in appraisal with a due date ahead. Times (median of 3 runs): the dwell report of the ministry for November
(`reports.dwell_times`), the whole bottleneck page's data (`reports.bottlenecks`), and the at-risk list
(`reports.at_risk`). Targets: a month of one ministry (about 10,000 dossiers) in under 5 s for the dwell report, the
at-risk list of 2,000 active dossiers in under 2 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import Table, print_table  # noqa: E402

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def setup_site(data_dir: str) -> None:
    os.environ.update(DJANGO_SETTINGS_MODULE="motcua.settings", MOTCUA_DATA_DIR=data_dir, MOTCUA_DEMO="1",
                      MOTCUA_LOG_LEVEL="WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_demo", quiet_accounts=True, stdout=open(os.devnull, "w"))  # noqa: SIM115


def build(count: int, active: int, now: datetime) -> None:
    from django.db import transaction

    from motcua.catalog.models import Procedure
    from motcua.dossiers.models import Dossier, Event, Status, StepRecord
    from motcua.organization.models import Unit
    from motcua.organization.queries import calendar_for

    procedure = Procedure.objects.select_related("current_version").get(code="1.013133")
    unit = Unit.objects.get(agency_code="000.05.12.H26")
    calendar = calendar_for(unit)
    first = datetime(2026, 11, 2, 7, 30, tzinfo=HANOI)
    with transaction.atomic():
        dossiers = []
        for number in range(count):
            submitted = calendar.add_working_hours(first, (number * 7) % 140)
            is_active = number < active
            dossiers.append(Dossier(
                code=f"BENCH-{number:08d}", lookup_key="BENCHKEY", procedure=procedure,
                version=procedure.current_version, owner={}, receiving_unit=unit, current_unit=unit,
                status=Status.ACCEPTED if is_active else Status.PROCESSED, submitted_at=submitted,
                accepted_at=now - timedelta(hours=1) if is_active else submitted,
                due_at=calendar.add_working_hours(now, 1 + number % 7) if is_active else None,
                current_step="appraise" if is_active else "return", current_role="handler" if is_active else "onestop",
                updated_at=submitted))
        Dossier.objects.bulk_create(dossiers, batch_size=2000)
        events, steps = [], []
        for number, dossier in enumerate(Dossier.objects.filter(code__startswith="BENCH-").order_by("pk")):
            start = dossier.submitted_at
            accepted = calendar.add_working_hours(start, 0.5 + number % 3)
            appraised = calendar.add_working_hours(accepted, 1 + number % 11)
            approved = calendar.add_working_hours(appraised, 0.25 + number % 5)
            rows = [("submit", start, "receive", None, 1), ("accept", accepted, "appraise", 1, 2)]
            if number >= active:
                rows += [("complete_step", appraised, "approve", 2, 4), ("approve", approved, "return", 4, 9)]
            else:
                steps.append(StepRecord(dossier=dossier, step="appraise", unit=unit, started_at=accepted))
            events += [Event(dossier=dossier, seq=seq, action=action, at=at, unit=unit, to_step=step,
                             from_status=before, to_status=after)
                       for seq, (action, at, step, before, after) in enumerate(rows, start=1)]
        Event.objects.bulk_create(events, batch_size=5000)
        StepRecord.objects.bulk_create(steps, batch_size=5000)


def median_seconds(function: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    times, last = [], None
    for _ in range(runs):
        start = time.perf_counter()
        last = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=20000)
    parser.add_argument("--active", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="motcua-bench-reports-") as data_dir:
        setup_site(data_dir)
        from django.conf import settings

        from motcua.core.clock import FrozenClock, use_clock
        from motcua.dossiers import reports
        from motcua.organization.models import Unit

        settings.MOTCUA_AT_RISK_HOURS = 4
        now = datetime(2026, 11, 30, 9, 0, tzinfo=HANOI)
        started = time.perf_counter()
        build(args.dossiers, args.active, now)
        built = time.perf_counter() - started
        ministry = Unit.objects.get(agency_code="000.00.00.G11")
        table = Table(f"Reports over {args.dossiers:,} dossiers ({args.active:,} active), SQLite")
        table.add("history written (4 events a finished dossier)", f"{built:.1f} s")
        with use_clock(FrozenClock(now)):
            seconds, steps = median_seconds(lambda: reports.dwell_times(ministry, date(2026, 11, 1),
                                                                          date(2026, 11, 30)))
            passes = sum(row["passes"] for row in steps)
            table.add(f"dwell report, November ({passes:,} passes)", f"{seconds:.2f} s", "< 5 s per 10,000 dossiers",
                      seconds * 10000 / max(args.dossiers, 1) < 5)
            seconds, _report = median_seconds(lambda: reports.bottlenecks(ministry, date(2026, 11, 1),
                                                                          date(2026, 11, 30)))
            table.add("bottleneck page data (dwell + waiting + overdue units)", f"{seconds:.2f} s")
            seconds, items = median_seconds(lambda: reports.at_risk(ministry))
            table.add(f"at-risk list ({len(items):,} at risk of {args.active:,} active)", f"{seconds:.2f} s",
                      "< 2 s per 2,000 active", seconds * 2000 / max(args.active, 1) < 2)
        print_table(table)


if __name__ == "__main__":
    main()
