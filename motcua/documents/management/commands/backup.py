from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.documents.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database (portable dump) and the stored files (manifest with SHA-256, and a copy) into DIR."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="a new or empty directory")
        parser.add_argument("--no-files", action="store_true",
                            help="write the file manifest only (the object store is backed up on its own)")

    def handle(self, *args: Any, directory: Path, no_files: bool, **options: Any) -> None:
        try:
            report = backup(directory, include_files=not no_files)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backup {directory}: {sum(report.rows.values())} rows in {len(report.rows)} tables, "
                          f"{report.files} files ({report.files_copied} copied)")
        for problem in report.problems:
            self.stderr.write(problem)
        if report.problems:
            raise CommandError(f"{len(report.problems)} file(s) could not be backed up correctly")
