"""The applicant's electronic data warehouse over the API: their documents, one document, its file (logged), and
the documents a procedure's components can reuse."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from motcua.catalog import queries as catalog_queries
from motcua.core import clock
from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import FieldError, NotFound, active_language
from motcua.identity.api import AUTH

from . import queries, warehouse
from .downloads import file_response
from .models import AccessPurpose, WarehouseDocument

router = Router(tags=["warehouse"])


class DocumentTypeOut(Schema):
    code: str
    name: str


class AccessOut(Schema):
    at: datetime
    by: str
    purpose: str = Field(..., description="view, download or reuse")
    dossier: str = Field("", description="The dossier a reuse went into.")


class WarehouseDocumentOut(Schema):
    id: UUID
    title: str
    document_type: DocumentTypeOut | None
    number: str
    issuer: str
    issued_on: date | None
    valid_until: date | None = Field(..., description="Empty: valid without a time limit.")
    state: str = Field(..., description="valid, cancelled or replaced")
    still_valid: bool = Field(..., description="Valid today: not cancelled, replaced or expired.")
    source: str = Field(..., description="dossier_component, result, bulk or national_store")
    digitized: bool
    dossier: str | None = Field(..., description="The code of the dossier it came from.")
    component: str = Field("", description="The component of that dossier.")
    result: str | None = Field(..., description="The code of the electronic result it is.")
    file_name: str
    content_type: str
    size: int
    created_at: datetime


class WarehouseDocumentDetail(WarehouseDocumentOut):
    accesses: list[AccessOut]


class WarehouseFilters(Schema):
    type: str = Field("", max_length=80, description="A document type code.")
    valid: bool | None = Field(None, description="true: still valid only; false: no longer valid only.")


class OfferOut(Schema):
    component: str
    component_name: str
    required: bool
    document_types: list[str]
    documents: list[WarehouseDocumentOut]


def document_out(document: WarehouseDocument, lang: str) -> dict[str, Any]:
    kind = document.document_type
    return {
        "id": document.pk, "title": document.title,
        "document_type": {"code": kind.code, "name": kind.name(lang)} if kind else None,
        "number": document.number, "issuer": document.issuer, "issued_on": document.issued_on,
        "valid_until": document.valid_until, "state": document.state,
        "still_valid": document.is_valid_on(clock.today()), "source": document.source,
        "digitized": bool(getattr(document, "digitized", False)),
        "dossier": document.dossier.code if document.dossier_id else None, "component": document.component_code,
        "result": document.result.code if document.result_id else (document.result_code or None),
        "file_name": document.file.original_name, "content_type": document.file.content_type,
        "size": document.file.size, "created_at": document.created_at,
    }


def access_out(access: Any) -> dict[str, Any]:
    return {"at": access.at, "by": access.user_name, "purpose": access.purpose, "dossier": access.dossier_code}


def _own(request: HttpRequest, document_id: UUID) -> WarehouseDocument:
    document = queries.warehouse_document(request.auth, document_id)
    if document is None:
        raise NotFound(_("No document of your warehouse has this id."),
                       [FieldError("document_id", "exists", _("No document of your warehouse has this id."))])
    return document


@router.get("/warehouse/documents", auth=AUTH, response={200: list[WarehouseDocumentOut], 401: ErrorOut, **ERRORS},
            summary="My documents: the electronic data warehouse of the caller (applicants)")
def list_documents(request: HttpRequest, filters: Query[WarehouseFilters]) -> list[dict[str, Any]]:
    rows = queries.warehouse_of(request.auth)
    if filters.type:
        rows = rows.filter(document_type__code=filters.type)
    if filters.valid is True:
        rows = queries.still_valid(rows)
    elif filters.valid is False:
        rows = rows.exclude(pk__in=queries.still_valid(rows).values("pk"))
    lang = active_language()
    return [document_out(d, lang) for d in rows[:500]]


@router.get("/warehouse/documents/{document_id}", auth=AUTH,
            response={200: WarehouseDocumentDetail, 401: ErrorOut, 404: ErrorOut, **ERRORS},
            summary="One document of my warehouse, with its access log (this read is logged as a view)")
def get_document(request: HttpRequest, document_id: UUID) -> dict[str, Any]:
    document = _own(request, document_id)
    warehouse.record_access(document, request.auth, AccessPurpose.VIEW)
    return {**document_out(document, active_language()),
            "accesses": [access_out(a) for a in queries.accesses(document)]}


@router.get("/warehouse/documents/{document_id}/file", auth=AUTH, response={401: ErrorOut, 404: ErrorOut, **ERRORS},
            summary="Download a document of my warehouse (logged as a download)",
            openapi_extra={"responses": {200: {
                "description": "The bytes, as an attachment with the file's name and sniffed type.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}},
                            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                            "image/png": {"schema": {"type": "string", "format": "binary"}}},
            }}})
def document_file(request: HttpRequest, document_id: UUID) -> FileResponse:
    document = _own(request, document_id)
    warehouse.record_access(document, request.auth, AccessPurpose.DOWNLOAD)
    return file_response(document.file)


@router.get("/warehouse/offers", auth=AUTH, response={200: list[OfferOut], 401: ErrorOut, 404: ErrorOut, **ERRORS},
            summary="What my warehouse can give a procedure: per component accepting a document type, my "
                    "still-valid documents of that type")
def offers(request: HttpRequest, procedure: str = Query(..., min_length=1, max_length=30)) -> list[dict[str, Any]]:
    found = catalog_queries.procedure_in_force(procedure)
    if found is None:
        raise NotFound(_("No procedure in force has this code."),
                       [FieldError("procedure", "exists", _("No procedure in force has this code."))])
    components = [c for c in found.current_version.components.all() if c.accepted_document_types]
    by_component = queries.offers(request.auth, components)
    lang = active_language()
    return [{"component": c.code, "component_name": c.name_en if lang == "en" and c.name_en else c.name_vi,
             "required": c.required, "document_types": list(c.accepted_document_types),
             "documents": [document_out(d, lang) for d in by_component.get(c.code, [])]} for c in components]
