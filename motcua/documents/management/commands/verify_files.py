from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.documents.integrity import Verification, verify_blobs


class Command(BaseCommand):
    help = ("Re-hash every stored file (local folder or S3) and report the missing and corrupt ones; exits with "
            "status 1 when there is any.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = Verification()
        problems = 0
        for problem in verify_blobs(report):
            problems += 1
            detail = f" (its content hashes to {problem.found})" if problem.found else ""
            self.stdout.write(f"{problem.problem.upper()} {problem.storage_name}: named by {problem.rows} "
                              f"file record(s){detail}")
        self.stdout.write(f"{report.checked} stored file(s) checked, {report.bytes_read} bytes read, "
                          f"{problems} problem(s).")
        if problems:
            raise CommandError(f"{problems} stored file(s) missing or corrupt.")
