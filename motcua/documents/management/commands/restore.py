from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.documents.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup made by `backup` into this empty, migrated instance and verify every file's SHA-256."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, directory: Path, **options: Any) -> None:
        try:
            report = restore(directory)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {sum(report.rows.values())} rows, {report.files} files "
                          f"({report.files_copied} copied back, all checked)")
        for problem in report.problems:
            self.stderr.write(problem)
        if report.problems:
            raise CommandError(f"{len(report.problems)} file(s) failed their check")
