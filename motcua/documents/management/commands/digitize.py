"""Process the digitization queue now: for operators who run no `ocr` worker, to drain a backlog, or to retry."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.documents import ocr, search
from motcua.documents.models import Digitization, DigitizationState


class Command(BaseCommand):
    help = "Digitize queued files (OCR into searchable PDF/A copies): keep going, or --once."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="Process what is due now, then stop.")
        parser.add_argument("--interval", type=float, default=10.0, help="Seconds to sleep when idle (default 10).")
        parser.add_argument("--limit", type=int, default=0, help="Stop after this many files (default: no limit).")
        parser.add_argument("--retry-failed", action="store_true",
                            help="First queue the failed files again, with a fresh series of attempts.")
        parser.add_argument("--reindex", action="store_true",
                            help="First rebuild the search index from the digitized text (SQLite), then go on.")

    def handle(self, *args: Any, once: bool, interval: float, limit: int, retry_failed: bool, reindex: bool,
               **options: Any) -> None:
        if limit < 0:
            raise CommandError("--limit must be 0 (no limit) or more.")
        if retry_failed:
            count = ocr.retry(Digitization.objects.filter(state=DigitizationState.FAILED))
            self.stdout.write(f"{count} failed file(s) queued again.")
        if reindex:
            self.stdout.write(f"{search.reindex()} digitized file(s) indexed for search.")
        processed = 0
        try:
            while True:
                done = ocr.run_pending(limit=(limit - processed) if limit else None)
                processed += done
                if done or once or options["verbosity"] > 1:
                    counts = ocr.backlog()
                    self.stdout.write(f"{processed} file(s) processed; " + ", ".join(
                        f"{state}: {counts[state]}" for state in DigitizationState.values))
                if once or (limit and processed >= limit):
                    return
                time.sleep(max(interval, 0.1))
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
