"""Every write to the catalog: import (validate everything, then write atomically), publishing, abolishing."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from motcua.core import clock
from motcua.core.errors import FieldError, ValidationFailed
from motcua.core.text import fold

from .models import (
    Announcement,
    AnnouncementItem,
    Component,
    DocumentType,
    Fee,
    Field,
    LegalBasis,
    Procedure,
    ProcedureStatus,
    ProcedureVersion,
    VersionStatus,
)
from .schema import AnnouncementIn, CatalogIn, DocumentTypeIn, FieldIn, ProcedureIn


@dataclass
class ImportReport:
    document_types_created: int = 0
    document_types_updated: int = 0
    fields_created: int = 0
    fields_updated: int = 0
    procedures_created: list[str] = field(default_factory=list)
    procedures_amended: list[str] = field(default_factory=list)
    procedures_abolished: list[str] = field(default_factory=list)
    procedures_unchanged: int = 0
    announcements_created: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.document_types_created or self.document_types_updated
                    or self.fields_created or self.fields_updated or self.procedures_created or self.procedures_amended
                    or self.procedures_abolished or self.announcements_created)

    def summary(self) -> str:
        return (
            f"fields: {self.fields_created} created, {self.fields_updated} updated; "
            f"procedures: {len(self.procedures_created)} created, {len(self.procedures_amended)} amended, "
            f"{len(self.procedures_abolished)} abolished, {self.procedures_unchanged} unchanged; "
            f"announcements: {self.announcements_created} created; "
            f"document types: {self.document_types_created} created, {self.document_types_updated} updated"
        )


class CatalogInvalid(ValidationFailed):
    code = "catalog_invalid"


def _path(loc: tuple[Any, ...], prefix: str) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _validate_records(
    raw: Any, key: str, model: type[BaseModel], label: str, errors: list[FieldError]
) -> list[tuple[int, Any]]:
    """Validate each record of raw[key] on its own, so one bad record does not hide the others' errors.

    Returns the valid records with their index in the file, so later rules name the right record.
    """
    records = raw.get(key, []) if isinstance(raw, dict) else []
    if not isinstance(records, list):
        errors.append(FieldError(key, "list_type", _("Must be a list.")))
        return []
    valid = []
    for index, record in enumerate(records):
        name = record.get(label) if isinstance(record, dict) else None
        prefix = f"{key}[{index}]" + (f" ({name})" if name else "")
        try:
            valid.append((index, model.model_validate(record)))
        except PydanticError as exc:
            for problem in exc.errors(include_url=False):
                errors.append(FieldError(_path(problem["loc"], prefix), problem["type"], problem["msg"]))
    return valid


def validate_catalog(raw: Any) -> CatalogIn:
    """Parse and check a whole catalog document; raise CatalogInvalid naming every bad record and rule."""
    errors: list[FieldError] = []
    if not isinstance(raw, dict):
        raise CatalogInvalid(_("The catalog file is not valid."),
                             [FieldError("", "object_type", _("The document must be a JSON object."))])
    if raw.get("format") != "motcua.catalog/1":
        errors.append(FieldError("format", "literal_error", _('The format must be "motcua.catalog/1".')))
    unknown = sorted(set(raw) - set(CatalogIn.model_fields))
    errors += [FieldError(name, "extra_forbidden", _("Unknown key.")) for name in unknown]
    document_types = _validate_records(raw, "document_types", DocumentTypeIn, "code", errors)
    fields = _validate_records(raw, "fields", FieldIn, "code", errors)
    procedures = _validate_records(raw, "procedures", ProcedureIn, "code", errors)
    announcements = _validate_records(raw, "announcements", AnnouncementIn, "decision_number", errors)

    def duplicates(codes: list[str]) -> set[str]:
        return {code for code in codes if codes.count(code) > 1}

    for code in sorted(duplicates([f.code for _i, f in fields])):
        errors.append(FieldError(f"fields ({code})", "unique", _("The field code appears more than once.")))
    for code in sorted(duplicates([t.code for _i, t in document_types])):
        errors.append(FieldError(f"document_types ({code})", "unique",
                                 _("The document type code appears more than once.")))
    for code in sorted(duplicates([p.code for _i, p in procedures])):
        errors.append(FieldError(f"procedures ({code})", "unique", _("The procedure code appears more than once.")))
    # Codes of records that failed their own checks count as known: their problems are reported already.
    known_fields = _raw_codes(raw, "fields") | set(Field.objects.values_list("code", flat=True))
    known_types = _raw_codes(raw, "document_types") | set(DocumentType.objects.values_list("code", flat=True))
    unknown_type = _("No document type has this code: declare it in document_types.")
    templates_dir = Path(settings.CATALOG_FILES_DIR)
    for index, procedure in procedures:
        where = f"procedures[{index}] ({procedure.code})"
        if procedure.field not in known_fields:
            errors.append(FieldError(f"{where}.field", "unknown_field", _("No field has this code.")))
        if procedure.result.document_type and procedure.result.document_type not in known_types:
            errors.append(FieldError(f"{where}.result.document_type", "unknown_document_type", unknown_type))
        for c_index, component in enumerate(procedure.components):
            for t_index, code in enumerate(component.document_types):
                if code not in known_types:
                    errors.append(FieldError(f"{where}.components[{c_index}].document_types[{t_index}]",
                                             "unknown_document_type", unknown_type))
            if component.template and not (templates_dir / component.template).is_file():
                errors.append(FieldError(f"{where}.components[{c_index}].template", "file_missing",
                                         _("The template file is not in the catalog files folder.")))
    known_procedures = _raw_codes(raw, "procedures") | set(Procedure.objects.values_list("code", flat=True))
    for index, announcement in announcements:
        for i_index, item in enumerate(announcement.items):
            if item.procedure not in known_procedures:
                errors.append(FieldError(
                    f"announcements[{index}] ({announcement.decision_number}).items[{i_index}].procedure",
                    "unknown_procedure", _("No procedure has this code."),
                ))
    if errors:
        raise CatalogInvalid(_("The catalog was not imported: fix every problem listed and import again."), errors)
    return CatalogIn(format="motcua.catalog/1", note=str(raw.get("note", "")),
                     document_types=[t for _i, t in document_types], fields=[f for _i, f in fields],
                     procedures=[p for _i, p in procedures], announcements=[a for _i, a in announcements])


def _raw_codes(raw: dict[str, Any], key: str) -> set[str]:
    records = raw.get(key)
    return {r["code"] for r in records if isinstance(r, dict) and isinstance(r.get("code"), str)} \
        if isinstance(records, list) else set()


def content_hash(procedure: ProcedureIn) -> str:
    """A digest of what a version says (everything but its lifecycle status): equal digests, same text."""
    content = procedure.model_dump(mode="json", exclude={"status"})
    if not content["result"]["document_type"]:
        del content["result"]["document_type"]  # the digest of a text from before document types stays the same
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@transaction.atomic
def import_catalog(raw: Any) -> ImportReport:
    """Import a catalog document: all of it, or (on any problem) nothing.

    A procedure whose text differs from the version in force gets a new published version (an amendment); the same
    text changes nothing, so importing the same file twice is a no-op.
    """
    catalog = validate_catalog(raw)
    report = ImportReport()
    for item in catalog.document_types:
        _import_document_type(item, report)
    fields = {}
    for position, item in enumerate(catalog.fields):
        values = {"name_vi": item.name.vi, "name_en": item.name.en, "illustrative": item.illustrative,
                  "position": position}
        existing = Field.objects.filter(code=item.code).first()
        if existing is None:
            fields[item.code] = Field.objects.create(code=item.code, **values)
            report.fields_created += 1
        else:
            if any(getattr(existing, key) != value for key, value in values.items()):
                Field.objects.filter(pk=existing.pk).update(**values)
                report.fields_updated += 1
            fields[item.code] = existing
    for item in catalog.procedures:
        _import_procedure(item, fields.get(item.field) or Field.objects.get(code=item.field), report)
    for item in catalog.announcements:
        report.announcements_created += _import_announcement(item)
    return report


def _import_document_type(item: DocumentTypeIn, report: ImportReport) -> None:
    values = {"name_vi": item.name.vi, "name_en": item.name.en}
    existing = DocumentType.objects.filter(code=item.code).first()
    if existing is None:
        DocumentType.objects.create(code=item.code, **values)
        report.document_types_created += 1
    elif any(getattr(existing, key) != value for key, value in values.items()):
        DocumentType.objects.filter(pk=existing.pk).update(**values)
        report.document_types_updated += 1


def _import_procedure(item: ProcedureIn, field_row: Field, report: ImportReport) -> None:
    digest = content_hash(item)
    procedure = Procedure.objects.filter(code=item.code).select_related("current_version").first()
    if procedure is None:
        procedure = Procedure.objects.create(code=item.code, field=field_row)
        report.procedures_created.append(item.code)
    latest = procedure.versions.order_by("-number").first()
    if latest is None or latest.content_hash != digest:
        if latest is not None and latest.status == VersionStatus.DRAFT:
            latest.delete()  # a draft is a work in progress: the imported text replaces it
        version = create_version(procedure, item, digest)
        if item.status != ProcedureStatus.DRAFT:
            publish_version(version)
            if item.code not in report.procedures_created:
                report.procedures_amended.append(item.code)
    elif item.status != ProcedureStatus.DRAFT and latest.status == VersionStatus.DRAFT:
        publish_version(latest)
    else:
        report.procedures_unchanged += item.code not in report.procedures_created
    procedure.refresh_from_db()
    if item.status == ProcedureStatus.ABOLISHED and procedure.status != ProcedureStatus.ABOLISHED:
        abolish_procedure(procedure)
        report.procedures_abolished.append(item.code)
    elif item.status == ProcedureStatus.PUBLISHED and procedure.status == ProcedureStatus.ABOLISHED:
        # Re-announced after abolition: back in force.
        Procedure.objects.filter(pk=procedure.pk).update(status=ProcedureStatus.PUBLISHED, abolished_at=None)


def create_version(procedure: Procedure, item: ProcedureIn, digest: str | None = None) -> ProcedureVersion:
    """A new draft version of `procedure` with the text of `item`."""
    number = (procedure.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    field_row = Field.objects.get(code=item.field)
    version = ProcedureVersion.objects.create(
        procedure=procedure, number=number, status=VersionStatus.DRAFT, name_vi=item.name.vi, name_en=item.name.en,
        field=field_row, levels=list(item.levels), subjects=list(item.subjects), channels=list(item.channels),
        online_level=item.online_level, time_limit_value=item.time_limit.value, time_limit_unit=item.time_limit.unit,
        time_limit_note_vi=item.time_limit.note.vi, time_limit_note_en=item.time_limit.note.en,
        agency_vi=item.agency.vi, agency_en=item.agency.en, steps_vi=item.steps.vi, steps_en=item.steps.en,
        method_vi=item.method.vi, method_en=item.method.en, requirements_vi=item.requirements.vi,
        requirements_en=item.requirements.en, result_type_vi=item.result.type.vi, result_type_en=item.result.type.en,
        paper_result_required=item.result.paper_required, result_document_type=item.result.document_type,
        form_schema=item.form_schema,
        process=item.process.model_dump(mode="json", exclude_defaults=True) if item.process else {},
        content_hash=digest or content_hash(item), created_at=clock.now(),
    )
    Component.objects.bulk_create(
        Component(version=version, position=position, code=c.code, name_vi=c.name.vi, name_en=c.name.en,
                  required=c.required, copies=c.copies, template=c.template, must_digitize=c.must_digitize,
                  accepted_document_types=list(c.document_types), accepted_content_types=list(c.content_types))
        for position, c in enumerate(item.components)
    )
    Fee.objects.bulk_create(
        Fee(version=version, position=position, kind=f.kind, name_vi=f.name.vi, name_en=f.name.en,
            amount_vnd=f.amount, payer_vi=f.payer.vi, payer_en=f.payer.en)
        for position, f in enumerate(item.fees)
    )
    LegalBasis.objects.bulk_create(
        LegalBasis(version=version, position=position, number=b.number, title_vi=b.title.vi, title_en=b.title.en,
                   issued_on=b.issued_on, effective_from=b.effective_from, effective_to=b.effective_to)
        for position, b in enumerate(item.legal_basis)
    )
    return version


@transaction.atomic
def publish_version(version: ProcedureVersion) -> ProcedureVersion:
    """Put a draft version in force: the one before it is superseded and stays readable as history."""
    if version.status != VersionStatus.DRAFT:
        raise ValidationFailed(_("Only a draft version can be published."),
                               [FieldError("status", "draft_only", _("This version is already published."))])
    procedure = Procedure.objects.select_for_update().get(pk=version.procedure_id)
    ProcedureVersion.objects.filter(procedure=procedure, status=VersionStatus.PUBLISHED).update(
        status=VersionStatus.SUPERSEDED
    )
    version.status = VersionStatus.PUBLISHED
    version.published_at = clock.now()
    ProcedureVersion.objects.filter(pk=version.pk).update(status=version.status, published_at=version.published_at)
    procedure.current_version = version
    procedure.field_id = version.field_id
    if procedure.status == ProcedureStatus.DRAFT:
        procedure.status = ProcedureStatus.PUBLISHED
    procedure.search_text = _search_text(procedure.code, version)
    procedure.save(update_fields=["current_version", "field", "status", "search_text"])
    return version


@transaction.atomic
def abolish_procedure(procedure: Procedure) -> Procedure:
    """Abolish: no new dossiers; the procedure and all its versions stay visible as history."""
    procedure.status = ProcedureStatus.ABOLISHED
    procedure.abolished_at = clock.now()
    procedure.save(update_fields=["status", "abolished_at"])
    return procedure


def _search_text(code: str, version: ProcedureVersion) -> str:
    field_row = version.field
    return fold(" ".join([code, version.name_vi, version.name_en, field_row.name_vi, field_row.name_en]))


def _import_announcement(item: AnnouncementIn) -> int:
    announcement, created = Announcement.objects.get_or_create(
        decision_number=item.decision_number,
        defaults={"decision_date": item.decision_date, "issuer_vi": item.issuer.vi, "issuer_en": item.issuer.en,
                  "title_vi": item.title.vi, "title_en": item.title.en, "effective_date": item.effective_date,
                  "published_at": item.published_at},
    )
    for entry in item.items:
        procedure = Procedure.objects.get(code=entry.procedure)
        AnnouncementItem.objects.get_or_create(
            announcement=announcement, procedure=procedure,
            defaults={"action": entry.action, "version": procedure.current_version},
        )
    return int(created)
