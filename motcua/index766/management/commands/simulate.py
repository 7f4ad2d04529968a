from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.dossiers.importing import BatchReport
from motcua.index766 import services
from motcua.index766.simulate import load_profile, simulate


class Command(BaseCommand):
    help = ("Generate a realistic year of dossiers from a profile (motcua/index766/profiles/*.json) and import it "
            "through the history import, which keeps the index counters up to date batch by batch.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--profile", default="mod-2024", help="Profile name or path to a JSON file.")
        parser.add_argument("--scale", type=float, default=1.0, help="Multiply the profile's volume (0.01, 10...).")
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--recompute", action="store_true",
                            help="Rebuild the index counters from the records afterwards (recompute_index).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            profile = load_profile(options["profile"])
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the profile {options['profile']!r}: {exc}") from exc

        def progress(batch: BatchReport) -> None:
            self.stdout.write(f"batch {batch.number}: {batch.dossiers} dossiers, {batch.events} events"
                              + (f", {len(batch.errors)} errors" if batch.errors else ""))

        begin = time.perf_counter()
        report = simulate(profile, scale=options["scale"], seed=options["seed"],
                          batch_size=options["batch_size"], on_batch=progress)
        took = time.perf_counter() - begin
        for error in report.errors[:20]:
            self.stderr.write(str(error))
        self.stdout.write(f"Imported {report.dossiers} dossiers ({report.events} events) in {took:.1f} s "
                          f"({report.dossiers / took if took else 0:.0f} dossiers/s).")
        if report.errors:
            raise CommandError(f"{report.bad_rows} generated rows were refused; see above.")
        if options["recompute"]:
            begin = time.perf_counter()
            services.recompute()
            self.stdout.write(f"Index recomputed in {time.perf_counter() - begin:.1f} s.")
