"""Reads of the catalog that the API, pages and other apps use."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from motcua.core.text import search_terms

from .models import Announcement, DocumentType, Field, Procedure, ProcedureStatus, ProcedureVersion
from .schema import FORMAT

MAX_PAGE = 100


@dataclass(frozen=True)
class Page:
    items: list[Procedure]
    next_cursor: str | None


def encode_cursor(code: str) -> str:
    return base64.urlsafe_b64encode(code.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str | None:
    """The procedure code a cursor points after, or None if the cursor is not one of ours."""
    try:
        code = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return code or None


def fields_with_counts() -> QuerySet[Field]:
    """Fields in order, each annotated with `procedure_count`: its procedures in force (not abolished)."""
    return Field.objects.annotate(
        procedure_count=Count("procedures", filter=Q(procedures__status=ProcedureStatus.PUBLISHED))
    ).order_by("position", "code")


def search_procedures(
    *, q: str = "", field: str = "", level: str = "", online: str = "", include_abolished: bool = False,
    after: str | None = None, limit: int = 20,
) -> Page:
    """Procedures in force matching every word of `q` (diacritics and case ignored), by code, keyset-paginated."""
    statuses = [ProcedureStatus.PUBLISHED] + ([ProcedureStatus.ABOLISHED] if include_abolished else [])
    rows = Procedure.objects.filter(status__in=statuses, current_version__isnull=False)
    for term in search_terms(q):
        rows = rows.filter(search_text__contains=term)
    if field:
        rows = rows.filter(field__code=field)
    if level:
        # levels is a JSON list; a quoted match on its text works on SQLite and PostgreSQL alike.
        rows = rows.filter(current_version__levels__icontains=f'"{level}"')
    if online:
        rows = rows.filter(current_version__online_level=online)
    if after:
        rows = rows.filter(code__gt=after)
    limit = max(1, min(limit, MAX_PAGE))
    items = list(
        rows.select_related("current_version", "field").prefetch_related("current_version__fees")
        .order_by("code")[: limit + 1]
    )
    more = len(items) > limit
    items = items[:limit]
    return Page(items=items, next_cursor=encode_cursor(items[-1].code) if more and items else None)


def get_procedure(code: str) -> Procedure | None:
    """A published or abolished procedure (with its version in force), or None; drafts are not public."""
    return (
        Procedure.objects.filter(code=code, status__in=[ProcedureStatus.PUBLISHED, ProcedureStatus.ABOLISHED])
        .select_related("current_version__field", "field")
        .prefetch_related("current_version__components", "current_version__fees", "current_version__legal_basis")
        .first()
    )


def procedure_in_force(code: str) -> Procedure | None:
    """A published procedure with its version in force and nothing else: what a submission needs."""
    return (
        Procedure.objects.filter(code=code, status=ProcedureStatus.PUBLISHED, current_version__isnull=False)
        .select_related("current_version").first()
    )


def version_history(procedure: Procedure) -> QuerySet[ProcedureVersion]:
    return procedure.versions.exclude(status="draft").order_by("-number")


def announcements_of(procedure: Procedure) -> QuerySet[Announcement]:
    return Announcement.objects.filter(items__procedure=procedure).order_by("-decision_date")


def _text(obj: object, name: str) -> dict[str, str]:
    return {"vi": getattr(obj, f"{name}_vi"), "en": getattr(obj, f"{name}_en")}


def version_record(version: ProcedureVersion, status: str) -> dict[str, Any]:
    """A version in the exchange format (the shape of schema.ProcedureIn)."""
    value = version.time_limit_value
    return {
        "code": version.procedure.code,
        "status": status,
        "name": _text(version, "name"),
        "field": version.field.code,
        "levels": version.levels,
        "subjects": version.subjects,
        "channels": version.channels,
        "online_level": version.online_level,
        "time_limit": {
            "value": int(value) if value == int(value) else float(value),
            "unit": version.time_limit_unit,
            "note": _text(version, "time_limit_note"),
        },
        "agency": _text(version, "agency"),
        "steps": _text(version, "steps"),
        "method": _text(version, "method"),
        "requirements": _text(version, "requirements"),
        "result": {"type": _text(version, "result_type"), "paper_required": version.paper_result_required,
                   **({"document_type": version.result_document_type} if version.result_document_type else {})},
        "fees": [
            {"kind": f.kind, "name": _text(f, "name"), "amount": f.amount_vnd, "payer": _text(f, "payer")}
            for f in version.fees.all()
        ],
        "legal_basis": [
            {"number": b.number, "title": _text(b, "title"),
             "issued_on": b.issued_on.isoformat() if b.issued_on else None,
             "effective_from": b.effective_from.isoformat() if b.effective_from else None,
             "effective_to": b.effective_to.isoformat() if b.effective_to else None}
            for b in version.legal_basis.all()
        ],
        "form_schema": version.form_schema,
        "components": [
            {"code": c.code, "name": _text(c, "name"), "required": c.required, "copies": c.copies,
             "template": c.template, "must_digitize": c.must_digitize, "document_types": c.accepted_document_types,
             "content_types": c.accepted_content_types}
            for c in version.components.all()
        ],
        "process": version.process or None,
    }


def export_catalog() -> dict[str, Any]:
    """The whole catalog in the exchange format: every field, each procedure's version in force, every announcement."""
    procedures = []
    for procedure in Procedure.objects.order_by("code"):
        # The version in force; a procedure never published exports its draft.
        versions = procedure.versions.select_related("field", "procedure").prefetch_related(
            "components", "fees", "legal_basis"
        )
        version = versions.filter(pk=procedure.current_version_id).first() or versions.order_by("-number").first()
        if version is not None:
            procedures.append(version_record(version, procedure.status))
    announcements = [
        {
            "decision_number": a.decision_number,
            "decision_date": a.decision_date.isoformat(),
            "issuer": _text(a, "issuer"),
            "title": _text(a, "title"),
            "effective_date": a.effective_date.isoformat() if a.effective_date else None,
            "published_at": a.published_at.isoformat(),
            "items": [{"procedure": i.procedure.code, "action": i.action}
                      for i in a.items.select_related("procedure").order_by("procedure__code")],
        }
        for a in Announcement.objects.order_by("decision_date", "decision_number")
    ]
    return {
        "format": FORMAT,
        "document_types": [{"code": t.code, "name": _text(t, "name")} for t in DocumentType.objects.order_by("code")],
        "fields": [{"code": f.code, "name": _text(f, "name"), "illustrative": f.illustrative}
                   for f in Field.objects.order_by("position", "code")],
        "procedures": procedures,
        "announcements": announcements,
    }


def document_types(codes: Iterable[str]) -> dict[str, DocumentType]:
    """The document types among `codes`, by code (unknown codes are left out)."""
    wanted = {code for code in codes if code}
    return {t.code: t for t in DocumentType.objects.filter(code__in=wanted)} if wanted else {}
