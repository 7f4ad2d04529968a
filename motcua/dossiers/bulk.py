"""Bulk digitization of historical records (số hóa hàng loạt): a folder or ZIP of scans and a CSV manifest.

Each manifest row names a scan and where it belongs: a component (or the paper result `KQ<n>`) of an imported dossier,
or a document of an applicant's warehouse. The scan is stored through the same checks as an upload
(`documents.services.store_upload`), queued for OCR (`documents.digitization.enqueue`) and linked. A bad row is
recorded with its line and the rules it broke, and the rest go in.

Each row is done in its own transaction and recorded as a `BulkRow` (unique per batch and line): a batch that was
interrupted (a crash, a stopped worker) resumes at its first row not recorded, and a row is never done twice. The
manifest is kept in the batch, so resuming needs only the scans. docs/digitization.md describes the format.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import Component, DocumentType
from motcua.core import clock
from motcua.core.errors import FieldError, ValidationFailed
from motcua.documents import services as document_services
from motcua.documents import warehouse
from motcua.documents.digitization import enqueue
from motcua.documents.models import StoredFile, WarehouseSource
from motcua.identity.models import User
from motcua.organization.models import Unit

from .models import BulkBatch, BulkRow, BulkRowStatus, Dossier, DossierFile, Outcome
from .services import Actor, record

COLUMNS = ("file", "dossier", "applicant_id", "component", "document_type", "issue_date", "valid_until", "number",
           "issuer")
REQUIRED_COLUMNS = ("file",)
MAX_ROWS = 100_000
RESULT_COMPONENT = re.compile(r"^KQ([1-9]\d{0,2})$")


# --- where the scans are ------------------------------------------------------------------------------------------

class Source:
    """The scans of a batch, by the relative name the manifest gives (a folder, or a ZIP file)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._zip = zipfile.ZipFile(self.path) if self.path.is_file() else None
        if self._zip is None and not self.path.is_dir():
            raise FileNotFoundError(str(self.path))

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def open(self, name: str) -> tuple[IO[bytes], int] | None:
        """The scan called `name` (a relative path, "/" separated) and its size, or None when there is none."""
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if not parts or name.startswith("/") or any(p in ("..", "") for p in parts):
            return None
        if self._zip is not None:
            try:
                info = self._zip.getinfo("/".join(parts))
            except KeyError:
                return None
            return (self._zip.open(info), info.file_size) if not info.is_dir() else None
        target = self.path.joinpath(*parts)
        if not target.is_file() or not target.resolve().is_relative_to(self.path.resolve()):
            return None
        return target.open("rb"), target.stat().st_size


class ScanFile(UploadedFile):
    """A scan read from the source, handed to the upload checks like an upload (streamed, read twice: checked,
    then stored)."""

    def __init__(self, stream: IO[bytes], name: str, size: int) -> None:
        super().__init__(stream, name=PurePosixPath(name).name, size=size)

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        self.file.seek(0)
        while chunk := self.file.read(chunk_size or self.DEFAULT_CHUNK_SIZE):
            yield chunk


# --- the manifest -------------------------------------------------------------------------------------------------

def read_manifest(text: str) -> list[tuple[int, dict[str, str]]]:
    """(line, row) of each data row of the CSV (UTF-8, comma or semicolon separated, a header line naming the
    columns); raises ValidationFailed naming the problem when the manifest as a whole cannot be used."""
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    problems = [FieldError("manifest", "columns", _("The manifest has no column %(name)s.") % {"name": name})
                for name in REQUIRED_COLUMNS if name not in header]
    if "dossier" not in header and "applicant_id" not in header:
        problems.append(FieldError("manifest", "columns", _("The manifest needs a dossier or applicant_id column.")))
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        problems.append(FieldError("manifest", "columns", _("Unknown columns: %(names)s.")
                                   % {"names": ", ".join(unknown)}))
    if problems:
        raise ValidationFailed(_("The manifest cannot be used."), problems)
    reader.fieldnames = header
    rows = []
    for row in reader:
        values = {key: (value or "").strip() for key, value in row.items() if key in COLUMNS}
        if any(values.values()):
            rows.append((reader.line_num, values))
        if len(rows) > MAX_ROWS:
            raise ValidationFailed(_("The manifest cannot be used."), [
                FieldError("manifest", "max_rows", _("At most %(n)d rows per batch.") % {"n": MAX_ROWS})])
    return rows


def _date(value: str, column: str, errors: list[FieldError]) -> date | None:
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    errors.append(FieldError(column, "date", _("Give the date as YYYY-MM-DD or DD/MM/YYYY.")))
    return None


# --- one row ------------------------------------------------------------------------------------------------------

@dataclass
class Plan:
    """What a checked row will do."""

    dossier: Dossier | None = None
    component: Component | None = None
    result_number: int | None = None
    owner: User | None = None
    owner_id_number: str = ""
    document_type: DocumentType | None = None
    issued_on: date | None = None
    valid_until: date | None = None


def check_row(batch: BulkBatch, row: dict[str, str]) -> tuple[Plan, list[FieldError]]:
    """Every rule a row breaks, each naming its column; and what a good row will do."""
    errors: list[FieldError] = []
    plan = Plan()
    if not row.get("file"):
        errors.append(FieldError("file", "required", _("Name the scan's file.")))
    code, id_number = row.get("dossier", ""), row.get("applicant_id", "")
    if bool(code) == bool(id_number):
        errors.append(FieldError("dossier", "target", _("Give either the dossier code or the applicant's ID number.")))
    type_code = row.get("document_type", "")
    if type_code:
        plan.document_type = DocumentType.objects.filter(code=type_code).first()
        if plan.document_type is None:
            errors.append(FieldError("document_type", "unknown_document_type", _("No document type has this code.")))
    if code and not id_number:
        _check_dossier(batch, code, row.get("component", ""), plan, errors)
    elif id_number and not code:
        plan.owner_id_number = id_number
        plan.owner = warehouse.account_for(id_number)
        if plan.owner is None and not Dossier.objects.filter(owner_id_number=id_number).exists():
            errors.append(FieldError("applicant_id", "unknown_applicant",
                                     _("No applicant (account or dossier) has this ID number.")))
        if not type_code:
            errors.append(FieldError("document_type", "required", _("A document of a warehouse needs its type.")))
    plan.issued_on = _date(row.get("issue_date", ""), "issue_date", errors)
    plan.valid_until = _date(row.get("valid_until", ""), "valid_until", errors)
    if plan.issued_on and plan.valid_until and plan.valid_until < plan.issued_on:
        errors.append(FieldError("valid_until", "date_order", _("Valid until must not be before the issue date.")))
    if len(row.get("number", "")) > 100:
        errors.append(FieldError("number", "max_length", _("At most 100 characters.")))
    if len(row.get("issuer", "")) > 255:
        errors.append(FieldError("issuer", "max_length", _("At most 255 characters.")))
    return plan, errors


def _check_dossier(batch: BulkBatch, code: str, component: str, plan: Plan, errors: list[FieldError]) -> None:
    dossier = Dossier.objects.select_related("version", "receiving_unit", "applicant", "procedure",
                                             "current_unit").filter(code=code).first()
    if dossier is None or (batch.unit is not None and not dossier.receiving_unit.path.startswith(batch.unit.path)):
        errors.append(FieldError("dossier", "unknown_dossier", _("No dossier of your units has this code.")))
        return
    plan.dossier = dossier
    plan.owner = dossier.applicant or warehouse.account_for(dossier.owner_id_number)
    plan.owner_id_number = dossier.owner_id_number
    result = RESULT_COMPONENT.match(component)
    if result:
        if dossier.outcome != Outcome.APPROVED:
            errors.append(FieldError("component", "no_result", _("This dossier was not approved: it has no result.")))
        plan.result_number = int(result.group(1))
        if plan.document_type is None and dossier.version.result_document_type:
            plan.document_type = DocumentType.objects.filter(code=dossier.version.result_document_type).first()
        return
    plan.component = dossier.version.components.filter(code=component).first() if component else None
    if plan.component is None:
        errors.append(FieldError("component", "unknown_component",
                                 _("The dossier's procedure has no such component (or KQ<n> for its result).")))
    elif plan.document_type is None and len(plan.component.accepted_document_types) == 1:
        plan.document_type = DocumentType.objects.filter(code=plan.component.accepted_document_types[0]).first()


def _link(batch: BulkBatch, row: BulkRow, values: dict[str, str], plan: Plan, stored: StoredFile) -> None:
    """Attach the stored scan where the row says, and record it in the dossier's history."""
    now = clock.now()
    dossier = plan.dossier
    links: dict[str, Any] = {}
    title = plan.document_type.name_vi if plan.document_type else PurePosixPath(values["file"]).name
    if dossier is not None and plan.component is not None:
        DossierFile.objects.create(dossier=dossier, component_code=plan.component.code, revision=dossier.revision,
                                   file=stored, bulk_row=row, created_at=now)
        links = {"dossier": dossier, "component_code": plan.component.code}
    elif dossier is not None:
        links = {"dossier": dossier, "result_code": f"{dossier.code}-KQ{plan.result_number}"}
        title = plan.document_type.name_vi if plan.document_type else dossier.version.result_type_vi
    if plan.document_type is not None or plan.result_number is not None or dossier is None:
        row.warehouse_document = warehouse.file_document(
            owner=plan.owner, owner_id_number=plan.owner_id_number, file=stored, source=WarehouseSource.BULK,
            title=title, document_type=plan.document_type, number=values.get("number", ""),
            issuer=values.get("issuer", ""), issued_on=plan.issued_on, valid_until=plan.valid_until, **links)
    if dossier is not None:
        record(dossier, "digitize", Actor(batch.created_by, "digitization"), dossier.status, public=False,
               data={"batch": batch.pk, "line": row.line, "file": str(stored.pk),
                     "component": links.get("component_code") or links.get("result_code", "")})


def do_row(batch: BulkBatch, source: Source, line: int, values: dict[str, str]) -> BulkRow:
    """Check, store, queue and link one row, in one transaction with its BulkRow."""
    plan, errors = check_row(batch, values)
    opened = source.open(values["file"]) if values.get("file") else None
    if values.get("file") and opened is None:
        errors.append(FieldError("file", "file_missing", _("The scans hold no file with this name.")))
    now = clock.now()
    with transaction.atomic():
        row = BulkRow(batch=batch, line=line, file_name=values.get("file", "")[:500], created_at=now,
                      dossier=plan.dossier, status=BulkRowStatus.REJECTED)
        if not errors and opened is not None:
            accept = plan.component.accepted_content_types if plan.component else None
            try:
                with ScanFile(opened[0], values["file"], opened[1]) as scan:
                    stored = document_services.store_upload(batch.created_by, scan, accept=accept or None)
            except ValidationFailed as exc:
                errors += exc.errors or [FieldError("file", "upload", str(exc.message))]
            else:
                row.status, row.file = BulkRowStatus.IMPORTED, stored
                row.save()
                _link(batch, row, values, plan, stored)
                enqueue(stored)
        elif opened is not None:
            opened[0].close()
        row.errors = [{"field": e.field, "rule": e.rule, "message": str(e.message)} for e in errors]
        row.save()
        BulkBatch.objects.filter(pk=batch.pk).update(
            rows_done=F("rows_done") + 1, rows_rejected=F("rows_rejected") + int(row.status != BulkRowStatus.IMPORTED))
    return row


# --- a batch ------------------------------------------------------------------------------------------------------

def save_scans(upload: UploadedFile) -> Path:
    """Keep an uploaded ZIP of scans under settings.MOTCUA_BULK_DIR until its batch is done; 422 naming the field
    `scans` when it is not a ZIP file or is over settings.MOTCUA_BULK_MAX_BYTES."""
    limit = int(getattr(settings, "MOTCUA_BULK_MAX_BYTES", 2 << 30))
    if upload.size is not None and upload.size > limit:
        raise ValidationFailed(_("The scans were not accepted."), [
            FieldError("scans", "max_size", _("The ZIP file is larger than the limit."))])
    folder = Path(settings.MOTCUA_BULK_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}.zip"
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    if not zipfile.is_zipfile(target):
        target.unlink()
        raise ValidationFailed(_("The scans were not accepted."), [
            FieldError("scans", "zip", _("Upload the scans as one ZIP file."))])
    return target


def start_batch(user: User, source: str | Path, manifest_name: str, manifest: str, unit: Unit | None = None
                ) -> BulkBatch:
    """A new batch (nothing done yet); raises ValidationFailed when the manifest cannot be used at all."""
    rows = read_manifest(manifest)
    return BulkBatch.objects.create(
        source=str(source), manifest_name=manifest_name[:255], manifest=manifest,
        manifest_sha256=hashlib.sha256(manifest.encode()).hexdigest(), created_by=user, unit=unit,
        rows_total=len(rows), created_at=clock.now(),
    )


def unfinished_batch(source: str | Path, manifest: str) -> BulkBatch | None:
    """The unfinished batch of the same scans and manifest, to resume rather than start again."""
    return BulkBatch.objects.filter(source=str(source), finished_at__isnull=True,
                                    manifest_sha256=hashlib.sha256(manifest.encode()).hexdigest()).first()


def run_batch(batch: BulkBatch, on_row: Callable[[BulkRow], None] | None = None) -> BulkBatch:
    """Do every row of `batch` not done yet (an interrupted batch resumes here), then mark it finished."""
    done = set(batch.rows.values_list("line", flat=True))
    try:
        source = Source(batch.source)
    except (FileNotFoundError, zipfile.BadZipFile) as exc:
        BulkBatch.objects.filter(pk=batch.pk).update(problem=f"{batch.source}: {exc.__class__.__name__}")
        batch.refresh_from_db()
        return batch
    try:
        for line, values in read_manifest(batch.manifest):
            if line in done:
                continue
            row = do_row(batch, source, line, values)
            if on_row is not None:
                on_row(row)
    finally:
        source.close()
    BulkBatch.objects.filter(pk=batch.pk).update(finished_at=clock.now(), problem="")
    batch.refresh_from_db()
    return batch
