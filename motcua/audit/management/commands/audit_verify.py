from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.audit.verification import verify


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log: reports changed, deleted or reordered rows (exit 1 if any)."

    def handle(self, *args: Any, **options: Any) -> None:
        count, problems = verify()
        for problem in problems:
            self.stderr.write(f"{problem.rule}: {problem.message}")
        if problems:
            raise CommandError(f"audit log: {len(problems)} problem(s) in {count} rows")
        self.stdout.write(f"audit log: {count} rows, chain intact")
