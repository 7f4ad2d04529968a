from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.core.errors import ValidationFailed
from motcua.dossiers import bulk
from motcua.dossiers.models import BulkBatch, BulkRow, BulkRowStatus
from motcua.identity.models import User
from motcua.organization.models import Unit


class Command(BaseCommand):
    help = (
        "Bulk digitization of historical records (docs/digitization.md): store each scan the CSV manifest names "
        "(PATH: a folder or a ZIP file), queue it for OCR and link it to its imported dossier or to the applicant's "
        "warehouse. Bad rows are reported with their line and rule; the others go in. Running the same PATH and "
        "manifest again resumes an interrupted batch where it stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="folder or ZIP file of the scans")
        parser.add_argument("--manifest", type=Path, required=True, help="the CSV manifest")
        parser.add_argument("--user", required=True, help="username of the operator the batch is recorded under")
        parser.add_argument("--unit", default="", help="agency code: only dossiers of this unit and below")
        parser.add_argument("--new", action="store_true", help="start a new batch even if one is unfinished")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"].resolve()
        if not path.exists():
            raise CommandError(f"{path}: no such folder or file")
        try:
            manifest = options["manifest"].read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{options['manifest']}: {exc}") from exc
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No account {options['user']!r}.")
        unit = None
        if options["unit"]:
            unit = Unit.objects.filter(agency_code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"No unit {options['unit']!r}.")
        batch = None if options["new"] else bulk.unfinished_batch(path, manifest)
        if batch is not None:
            self.stdout.write(f"Resuming batch #{batch.pk}: {batch.rows_done} of {batch.rows_total} row(s) done.")
        else:
            try:
                batch = bulk.start_batch(user, path, options["manifest"].name, manifest, unit)
            except ValidationFailed as exc:
                raise CommandError("; ".join(str(e.message) for e in exc.errors) or str(exc.message)) from exc
            self.stdout.write(f"Batch #{batch.pk}: {batch.rows_total} row(s).")
        batch = bulk.run_batch(batch, on_row=self._progress(batch))
        if batch.problem:
            raise CommandError(f"Batch #{batch.pk} could not run: {batch.problem}")
        summary = (f"Batch #{batch.pk}: {batch.rows_done - batch.rows_rejected} of {batch.rows_total} row(s) "
                   f"imported, {batch.rows_rejected} rejected.")
        if batch.rows_rejected:
            raise CommandError(summary + " The rejected rows are listed above (line, column, rule).")
        self.stdout.write(self.style.SUCCESS(summary))

    def _progress(self, batch: BulkBatch) -> Any:
        def report(row: BulkRow) -> None:
            if row.status == BulkRowStatus.IMPORTED:
                self.stdout.write(f"line {row.line}: {row.file_name}: imported")
                return
            for error in row.errors:
                self.stderr.write(f"line {row.line}: {error['field']}: {error['message']} [{error['rule']}]")

        return report
