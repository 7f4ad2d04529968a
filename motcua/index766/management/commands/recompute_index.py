from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from motcua.index766 import services


class Command(BaseCommand):
    help = "Rebuild every counter of the service-quality index from the dossiers and their history."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=services.RECOMPUTE_BATCH)

    def handle(self, *args: Any, **options: Any) -> None:
        begin = time.perf_counter()
        count = services.recompute(options["batch_size"],
                                   progress=lambda done: self.stdout.write(f"{done} dossiers", ending="\r"))
        self.stdout.write(f"Recomputed the index from {count} dossiers in {time.perf_counter() - begin:.1f} s.")
