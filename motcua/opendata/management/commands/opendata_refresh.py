"""Regenerate the open datasets now and queue the scheduled refresh."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ... import services, tasks


class Command(BaseCommand):
    help = "Regenerate the open data files (CSV, JSON) from live data and queue the next scheduled refresh."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("names", nargs="*", help="Only these datasets (names); all by default.")
        parser.add_argument("--no-schedule", action="store_true", help="Do not queue the scheduled refresh.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = services.refresh_all(options["names"] or None)
        self.stdout.write(f"Open data: {report.summary()}")
        if not options["no_schedule"] and tasks.schedule_next():
            self.stdout.write("Next refresh queued.")
