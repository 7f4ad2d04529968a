from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.catalog.services import CatalogInvalid, import_catalog


class Command(BaseCommand):
    help = "Import a catalog JSON file (format motcua.catalog/1). All of it, or nothing: every problem is reported."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CommandError(f"{path}: no such file") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: not a JSON document ({exc})") from exc
        try:
            report = import_catalog(raw)
        except CatalogInvalid as exc:
            lines = [f"{path}: nothing imported, {len(exc.errors)} problem(s):"]
            lines += [f"  - {e.field}: {e.message} [{e.rule}]" for e in exc.errors]
            raise CommandError("\n".join(lines)) from exc
        self.stdout.write(self.style.SUCCESS(f"Imported {path}: {report.summary()}"))
