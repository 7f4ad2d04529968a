from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.dossiers.importing import DEFAULT_BATCH_SIZE, BatchReport, import_file


class Command(BaseCommand):
    help = (
        "Import past dossiers (paper and electronic records) from a JSON Lines file, one dossier a line, with their "
        "own timestamps, history and results (docs/dossier-import.md). Every row is checked; batches are written "
        "each in one transaction, and a batch with a bad row writes nothing while the other batches still go in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the .jsonl file")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                            help=f"rows per transaction (default {DEFAULT_BATCH_SIZE})")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        batch_size: int = options["batch_size"]
        dry_run: bool = options["dry_run"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        started = time.monotonic()
        report = import_file(path, batch_size=batch_size, dry_run=dry_run, on_batch=self._progress(dry_run))
        seconds = time.monotonic() - started
        failed = report.failed_batches
        if dry_run:
            summary = (f"{path}: dry run, nothing written: {report.rows - report.bad_rows} of {report.rows} row(s) "
                       f"valid, in {len(report.batches)} batch(es) of {batch_size} ({seconds:.1f} s).")
        else:
            summary = (f"{path}: imported {report.dossiers} of {report.rows} dossier(s) with {report.events} "
                       f"event(s), {len(report.batches) - len(failed)} of {len(report.batches)} batch(es) of "
                       f"{batch_size}, in {seconds:.1f} s.")
        if not failed:
            self.stdout.write(self.style.SUCCESS(summary))
            return
        self.stdout.write(summary)
        ranges = ", ".join(f"{b.first_line}-{b.last_line}" for b in failed)
        if dry_run:
            outcome = f"{len(failed)} batch(es) would not be imported (lines {ranges})."
        else:
            others = "the other batches were" if len(failed) < len(report.batches) else "no batch was imported"
            outcome = (f"{len(failed)} batch(es) were NOT imported (lines {ranges}); {others}. Fix the bad rows and "
                       f"import only those lines again (rows already imported are refused as existing).")
        raise CommandError(f"{report.bad_rows} bad row(s), {len(report.errors)} problem(s). {outcome}")

    def _progress(self, dry_run: bool) -> Any:
        def report(batch: BatchReport) -> None:
            where = f"batch {batch.number} (lines {batch.first_line}-{batch.last_line}, {batch.rows} rows)"
            if batch.ok:
                done = "valid" if dry_run else f"imported, {batch.events} events"
                self.stdout.write(f"{where}: {done}")
                return
            verdict = "would not be imported" if dry_run else "NOT imported"
            self.stderr.write(f"{where}: {verdict}, {batch.bad_rows} bad row(s):")
            for error in batch.errors:
                self.stderr.write(f"  {error}")

        return report
