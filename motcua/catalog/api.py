"""Public catalog API: fields, procedure search (keyset pagination), procedure detail."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field as SchemaField
from ninja import Query, Router, Schema

from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import FieldError, NotFound, ValidationFailed, active_language

from . import queries
from .models import Procedure, ProcedureVersion

router = Router(tags=["catalog"])


class FieldOut(Schema):
    code: str
    name: str
    name_vi: str
    name_en: str
    illustrative: bool
    procedure_count: int


class TimeLimitOut(Schema):
    value: Decimal
    unit: str
    note: str


class ProcedureSummary(Schema):
    code: str
    name: str
    name_vi: str
    name_en: str
    status: str
    version: int
    field: str
    field_name: str
    levels: list[str]
    subjects: list[str]
    online_level: str
    time_limit: TimeLimitOut
    has_fees: bool


class ProcedurePage(Schema):
    items: list[ProcedureSummary]
    next: str | None = SchemaField(description="Cursor of the next page, or null on the last page.")


class ComponentOut(Schema):
    code: str
    name: str
    name_vi: str
    name_en: str
    required: bool
    copies: str
    template_url: str | None
    must_digitize: bool
    document_types: list[str]
    content_types: list[str]


class FeeOut(Schema):
    kind: str
    name: str
    amount_vnd: int
    payer: str


class LegalBasisOut(Schema):
    number: str
    title: str
    issued_on: date | None
    effective_from: date | None
    effective_to: date | None


class ProcedureDetail(ProcedureSummary):
    channels: list[int]
    agency: str
    steps: str
    method: str
    requirements: str
    result_type: str
    paper_result_required: bool
    result_document_type: str = SchemaField("", description="The warehouse document type the result produces "
                                                            "(a code of `document_types`), or empty.")
    fees: list[FeeOut]
    legal_basis: list[LegalBasisOut]
    form_schema: dict[str, Any]
    components: list[ComponentOut]
    published_at: str | None


class ProcedureFilters(Schema):
    q: str = SchemaField("", max_length=200, description="Words to find; diacritics and case are ignored.")
    field: str = SchemaField("", max_length=30, description="Field code.")
    level: Literal["", "ministry", "department", "district", "commune"] = ""
    online: Literal["", "full", "partial", "none"] = ""
    limit: int = SchemaField(20, ge=1, le=100)
    cursor: str = SchemaField("", max_length=200, description="The `next` value of the previous page.")


def summary(procedure: Procedure, lang: str) -> dict[str, Any]:
    version: ProcedureVersion = procedure.current_version
    return {
        "code": procedure.code,
        "name": version.text("name", lang),
        "name_vi": version.name_vi,
        "name_en": version.name_en,
        "status": procedure.status,
        "version": version.number,
        "field": procedure.field.code,
        "field_name": procedure.field.name_en if lang == "en" else procedure.field.name_vi,
        "levels": version.levels,
        "subjects": version.subjects,
        "online_level": version.online_level,
        "time_limit": {"value": version.time_limit_value, "unit": version.time_limit_unit,
                       "note": version.text("time_limit_note", lang)},
        "has_fees": any(fee.amount_vnd for fee in version.fees.all()),
    }


def detail(request: HttpRequest, procedure: Procedure, lang: str) -> dict[str, Any]:
    version: ProcedureVersion = procedure.current_version
    return {
        **summary(procedure, lang),
        "channels": version.channels,
        "agency": version.text("agency", lang),
        "steps": version.text("steps", lang),
        "method": version.text("method", lang),
        "requirements": version.text("requirements", lang),
        "result_type": version.text("result_type", lang),
        "paper_result_required": version.paper_result_required,
        "result_document_type": version.result_document_type,
        "fees": [{"kind": f.kind, "name": f.name_en if lang == "en" and f.name_en else f.name_vi,
                  "amount_vnd": f.amount_vnd, "payer": f.payer_en if lang == "en" and f.payer_en else f.payer_vi}
                 for f in version.fees.all()],
        "legal_basis": [{"number": b.number, "title": b.title_en if lang == "en" and b.title_en else b.title_vi,
                         "issued_on": b.issued_on, "effective_from": b.effective_from,
                         "effective_to": b.effective_to} for b in version.legal_basis.all()],
        "form_schema": version.form_schema,
        "components": [
            {"code": c.code, "name": c.name_en if lang == "en" and c.name_en else c.name_vi, "name_vi": c.name_vi,
             "name_en": c.name_en, "required": c.required, "copies": c.copies,
             "template_url": request.build_absolute_uri(f"/catalog-files/{c.template}") if c.template else None,
             "must_digitize": c.must_digitize, "document_types": c.accepted_document_types,
             "content_types": c.accepted_content_types}
            for c in version.components.all()
        ],
        "published_at": version.published_at.isoformat() if version.published_at else None,
    }


@router.get("/fields", response={200: list[FieldOut], **ERRORS}, summary="Fields with their procedure counts")
def list_fields(request: HttpRequest) -> list[dict[str, Any]]:
    lang = active_language()
    return [
        {"code": f.code, "name": f.name_en if lang == "en" else f.name_vi, "name_vi": f.name_vi,
         "name_en": f.name_en, "illustrative": f.illustrative, "procedure_count": f.procedure_count}
        for f in queries.fields_with_counts()
    ]


@router.get("/procedures", response={200: ProcedurePage, **ERRORS}, summary="Search procedures in force")
def list_procedures(request: HttpRequest, filters: Query[ProcedureFilters]) -> dict[str, Any]:
    after = None
    if filters.cursor:
        after = queries.decode_cursor(filters.cursor)
        if after is None:
            raise ValidationFailed(_("The request is not valid."), [
                FieldError("cursor", "cursor", _("Not a cursor from a previous page: use the `next` value as is.")),
            ])
    page = queries.search_procedures(q=filters.q, field=filters.field, level=filters.level, online=filters.online,
                                     after=after, limit=filters.limit)
    lang = active_language()
    return {"items": [summary(p, lang) for p in page.items], "next": page.next_cursor}


@router.get("/procedures/{code}", response={200: ProcedureDetail, 404: ErrorOut, **ERRORS},
            summary="A procedure's version in force, with its e-form and components")
def get_procedure(request: HttpRequest, code: str) -> dict[str, Any]:
    procedure = queries.get_procedure(code)
    if procedure is None:
        raise NotFound(_("No published procedure has this code."),
                       [FieldError("code", "exists", _("No published procedure has this code."))])
    return detail(request, procedure, active_language())
