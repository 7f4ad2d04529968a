"""Files over the API: upload (checked, content-addressed), metadata and content of the caller's own files."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field as SchemaField
from ninja import File, Form, Router, Schema, Status, UploadedFile

from motcua.catalog import queries as catalog_queries
from motcua.catalog.models import ProcedureStatus
from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import FieldError, NotFound, ValidationFailed
from motcua.identity.api import AUTH

from . import queries, services
from .downloads import file_response
from .models import StoredFile

router = Router(tags=["documents"])




class UploadIn(Schema):
    procedure: str = SchemaField("", max_length=30, description="Procedure code, e.g. 1.013133.")
    component: str = SchemaField("", max_length=50, description="Component code within that procedure.")


class StoredFileOut(Schema):
    id: UUID
    sha256: str = SchemaField(..., description="SHA-256 of the content, lowercase hex.")
    size: int = SchemaField(..., description="Bytes.")
    content_type: str = SchemaField(..., description="The type sniffed from the content (not the one declared).")
    name: str = SchemaField(..., description="The file name as given, sanitized.")


def file_out(stored: StoredFile) -> dict[str, Any]:
    return {"id": stored.pk, "sha256": stored.sha256, "size": stored.size, "content_type": stored.content_type,
            "name": stored.original_name}


def accepted_types(procedure_code: str, component_code: str) -> list[str] | None:
    """The accepted types of a component of a procedure in force (None: the default set), or 422 naming the field."""
    if not procedure_code and not component_code:
        return None
    if not procedure_code or not component_code:
        missing = "procedure" if not procedure_code else "component"
        raise ValidationFailed(_("The request is not valid."), [
            FieldError(missing, "required", _("Give both the procedure and the component, or neither.")),
        ])
    procedure = catalog_queries.get_procedure(procedure_code)
    if procedure is None or procedure.status != ProcedureStatus.PUBLISHED or procedure.current_version is None:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("procedure", "exists", _("No procedure in force has this code.")),
        ])
    component = next((c for c in procedure.current_version.components.all() if c.code == component_code), None)
    if component is None:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("component", "exists", _("The procedure has no such component.")),
        ])
    return list(component.accepted_content_types) or None


def own_file(request: HttpRequest, file_id: UUID) -> StoredFile:
    stored = queries.file_for(request.auth, file_id)
    if stored is None:
        raise NotFound(_("No file of yours has this id."),
                       [FieldError("file_id", "exists", _("No file of yours has this id."))])
    return stored


UPLOAD_DESCRIPTION = (
    "Multipart form: `file` (required); `procedure` and `component` (codes, both or neither) narrow the accepted "
    "types to those of that component of the procedure in force. The type is sniffed from the content; the name's "
    "extension must match it. Every refused file is a **422** whose `errors` name the field `file` and the rule: "
    "`name`, `empty`, `max_size` (over the configured limit, 20 MiB by default: a 422 like the other rules, not 413; "
    "a reverse proxy in front may still answer 413 for a body far over the limit), `content_type`, "
    "`extension_mismatch`, `truncated` (a PDF without `%%EOF` at its end) and `pdf_active_content` (a PDF with "
    "JavaScript, launch actions or embedded files, or with compressed objects that cannot be checked). Nothing is "
    "stored for a refused file. Identical content is stored once, but every upload gets its own id. "
    "Authenticate with a bearer token, or a logged-in session plus its CSRF token (`X-CSRFToken`)."
)

BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.post("/files", response={201: StoredFileOut, 401: ErrorOut, 403: ErrorOut, **ERRORS}, auth=AUTH,
             summary="Upload a file", description=UPLOAD_DESCRIPTION)
def upload_file(
    request: HttpRequest,
    file: File[UploadedFile],
    data: Form[UploadIn],
) -> Status:
    accept = accepted_types(data.procedure.strip(), data.component.strip())
    stored = services.store_upload(request.auth, file, accept=accept)
    return Status(201, file_out(stored))


@router.get("/files/{file_id}", response={200: StoredFileOut, 401: ErrorOut, 404: ErrorOut, **ERRORS}, auth=AUTH,
            summary="A file of yours: its metadata")
def get_file(request: HttpRequest, file_id: UUID) -> dict[str, Any]:
    return file_out(own_file(request, file_id))


@router.get("/files/{file_id}/content", response={401: ErrorOut, 404: ErrorOut, **ERRORS}, auth=AUTH,
            summary="A file of yours: its bytes, as an attachment",
            openapi_extra={"responses": {200: {
                "description": "The bytes, with the sniffed content type, as an attachment with the file's name.",
                "content": {t: BINARY for t in services.upload_types()},
            }}})
def get_file_content(request: HttpRequest, file_id: UUID) -> FileResponse:
    return file_response(own_file(request, file_id))
