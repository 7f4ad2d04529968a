from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from motcua.catalog.queries import export_catalog


class Command(BaseCommand):
    help = "Export the whole catalog as JSON (format motcua.catalog/1) to a file, or to standard output."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", "-o", type=Path, help="File to write (default: standard output).")

    def handle(self, *args: Any, **options: Any) -> None:
        text = json.dumps(export_catalog(), ensure_ascii=False, indent=2) + "\n"
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {options['output']}")
        else:
            self.stdout.write(text, ending="")
