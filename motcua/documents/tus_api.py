"""Resumable uploads over the tus 1.0 protocol at /api/v1/uploads (core, creation, termination, expiration).

Standard tus clients (tus-js-client, tuspy, Uppy) work as they are; the state lives in `resumable.py`. Errors keep
the house shape (`{error, message, errors: [{field, rule}]}`), with the `Tus-Resumable` header on every answer.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.http import http_date
from django.utils.translation import gettext_lazy as _
from ninja import Field as SchemaField
from ninja import Router, Schema

from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import DomainError, FieldError, interpolated
from motcua.identity.api import AUTH

from . import checks, resumable
from .api import StoredFileOut, accepted_types, file_out
from .models import ResumableUpload

router = Router(tags=["uploads"])

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,expiration"
OFFSET_TYPE = "application/offset+octet-stream"
PATH = "/uploads"
ITEM = "/uploads/{upload_id}"


class TusVersionMismatch(DomainError):
    status = 412
    code = "tus_version"


class UnsupportedType(DomainError):
    status = 415
    code = "unsupported_media_type"


class UploadOut(Schema):
    id: UUID
    name: str = SchemaField(..., description="The file name given in Upload-Metadata, sanitized.")
    length: int = SchemaField(..., description="Upload-Length: the bytes of the whole file.")
    offset: int = SchemaField(..., description="Upload-Offset: the bytes received so far.")
    complete: bool
    expires_at: datetime = SchemaField(..., description="When an unfinished upload is deleted (moves on each PATCH).")
    file: StoredFileOut | None = SchemaField(
        None, description="The stored file once complete: its id goes in a dossier's `components[].files`.")


def _bad(field: str, rule: str, message: Any) -> DomainError:
    return DomainError(_("The request is not valid."), [FieldError(field, rule, message)])


def _header_int(request: HttpRequest, name: str) -> int:
    raw = request.headers.get(name, "")
    if not raw.isdigit():
        raise _bad(name, "integer", interpolated(_("Send the header %(name)s: a whole number of bytes."),
                                                        name=name))
    return int(raw)


def _expires(upload: ResumableUpload) -> str:
    return http_date(upload.expires_at.timestamp())


def _upload_headers(response: HttpResponse, upload: ResumableUpload) -> HttpResponse:
    response["Upload-Offset"] = str(upload.offset)
    response["Upload-Length"] = str(upload.length)
    response["Cache-Control"] = "no-store"
    if upload.complete:
        response["Upload-File-Id"] = str(upload.file_id)
    else:
        response["Upload-Expires"] = _expires(upload)
    return response


def tus(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Check `Tus-Resumable` (412), answer errors in the house shape, and put `Tus-Resumable` on every answer."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != TUS_VERSION:
                raise TusVersionMismatch(_("This server speaks tus 1.0.0."), [FieldError(
                    "Tus-Resumable", "version", _("Send the header Tus-Resumable: 1.0.0."))])
            response = view(request, *args, **kwargs)
        except DomainError as exc:
            response = JsonResponse(exc.as_dict(), status=exc.status)
            if isinstance(exc, TusVersionMismatch):
                response["Tus-Version"] = TUS_VERSION
        response["Tus-Resumable"] = TUS_VERSION
        return response

    return wrapper


def _metadata(request: HttpRequest) -> dict[str, str]:
    """Upload-Metadata: `key base64(value)` pairs separated by commas."""
    out: dict[str, str] = {}
    for pair in request.headers.get("Upload-Metadata", "").split(","):
        parts = pair.strip().split(" ")
        if not parts[0]:
            continue
        try:
            out[parts[0]] = base64.b64decode(parts[1], validate=True).decode("utf-8") if len(parts) > 1 else ""
        except (binascii.Error, UnicodeDecodeError):
            raise _bad("Upload-Metadata", "base64", interpolated(
                _("The value of %(key)s is not base64 of UTF-8 text."), key=parts[0])) from None
    return out


def _params(*headers: tuple[str, str], item: bool = True) -> dict[str, Any]:
    """The parameters of an operation for the spec: the headers the handler reads itself (ninja adds the path's id
    from the signature; `item` is kept for the callers' readability)."""
    params = [{"in": "header", "name": name, "required": True, "schema": {"type": "string"}, "description": text}
              for name, text in headers]
    return {"parameters": params}


TUS_RESUMABLE = ("Tus-Resumable", "`1.0.0` (other values: 412).")
NO_CONTENT = {204: None}
TUS_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 412: ErrorOut, **ERRORS}

DESCRIPTION = (
    "Resumable upload (tus 1.0: core, creation, termination, expiration) of one file of up to `MOTCUA_TUS_MAX_BYTES` "
    "(2 GiB by default). Create it with POST (headers `Upload-Length`, `Upload-Metadata` with `filename` and "
    "optionally `procedure` and `component`, base64 as tus has it), send the bytes with PATCH "
    "(`Content-Type: application/offset+octet-stream`, `Upload-Offset` = the offset HEAD gives), resume after a "
    "drop from the offset HEAD gives. When the last byte arrives the file goes through the same checks as "
    "`POST /api/v1/files` (a refusal is a **422** naming the rule, and the upload is deleted); the stored file's id "
    "comes in the `Upload-File-Id` header (and in GET) and works as a file id in `components[].files`. "
    "Authenticate with a bearer token, or a logged-in session plus `X-CSRFToken`."
)


@router.api_operation(["OPTIONS"], PATH, auth=None, response=NO_CONTENT, summary="Resumable uploads: what the server "
                      "supports (Tus-Version, Tus-Extension, Tus-Max-Size)", description=DESCRIPTION)
@tus
def tus_options(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(status=204)
    response["Tus-Version"] = TUS_VERSION
    response["Tus-Extension"] = TUS_EXTENSIONS
    response["Tus-Max-Size"] = str(resumable.max_bytes())
    return response


@router.post(PATH, auth=AUTH, response={201: None, 413: ErrorOut, 429: ErrorOut, 503: ErrorOut, **TUS_ERRORS},
             summary="Resumable uploads: create one", description=DESCRIPTION, openapi_extra=_params(
                 TUS_RESUMABLE, ("Upload-Length", "The file's size in bytes (over the limit: 413)."),
                 ("Upload-Metadata", "`filename <base64>` (required), `procedure <base64>,component <base64>` "
                                     "(optional: narrow the accepted types to that component's), comma-separated."),
                 item=False))
@tus
def tus_create(request: HttpRequest) -> HttpResponse:
    length = _header_int(request, "Upload-Length")
    metadata = _metadata(request)
    accept = accepted_types(metadata.get("procedure", "").strip(), metadata.get("component", "").strip())
    if length == 0:
        checks.checked_name(metadata.get("filename"))
        raise checks.refuse("empty", _("The file is empty."))
    upload = resumable.create(request.auth, length=length, name=metadata.get("filename"), accept=accept)
    response = HttpResponse(status=201)
    response["Location"] = request.build_absolute_uri(f"/api/v1/uploads/{upload.pk}")
    return _upload_headers(response, upload)


@router.api_operation(["HEAD"], ITEM, auth=AUTH, response={200: None, **TUS_ERRORS},
                      summary="Resumable uploads: the offset to resume from",
                      description="`Upload-Offset` and `Upload-Length`; `Upload-File-Id` once complete.",
                      openapi_extra=_params(TUS_RESUMABLE))
@tus
def tus_head(request: HttpRequest, upload_id: UUID) -> HttpResponse:
    return _upload_headers(HttpResponse(status=200), resumable.get(request.auth, upload_id))


@router.get(ITEM, auth=AUTH, response={200: UploadOut, **TUS_ERRORS},
            summary="Resumable uploads: one of yours, as JSON", openapi_extra=_params(TUS_RESUMABLE))
@tus
def tus_get(request: HttpRequest, upload_id: UUID) -> HttpResponse:
    upload = resumable.get(request.auth, upload_id)
    body = {"id": str(upload.pk), "name": upload.name, "length": upload.length, "offset": upload.offset,
            "complete": upload.complete, "expires_at": upload.expires_at.isoformat(),
            "file": {**file_out(upload.file), "id": str(upload.file_id)} if upload.file else None}
    return _upload_headers(JsonResponse(body), upload)


@router.patch(ITEM, auth=AUTH, response={204: None, 409: ErrorOut, 413: ErrorOut, 415: ErrorOut, 423: ErrorOut,
                                         503: ErrorOut, **TUS_ERRORS},
              summary="Resumable uploads: append bytes",
              description="The body is appended at `Upload-Offset`, which must equal the upload's offset (409 "
                          "otherwise); `Content-Type` must be `application/offset+octet-stream` (415 otherwise). A "
                          "body cut short keeps what arrived. The last PATCH answers `Upload-File-Id`, or 422 naming "
                          "the rule the file broke (the upload is then deleted).",
              openapi_extra={**_params(TUS_RESUMABLE, ("Upload-Offset", "Where these bytes go.")),
                             "requestBody": {"required": True, "content": {OFFSET_TYPE: {
                                 "schema": {"type": "string", "format": "binary"}}}}})
@tus
def tus_patch(request: HttpRequest, upload_id: UUID) -> HttpResponse:
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type != OFFSET_TYPE:
        raise UnsupportedType(_("The request is not valid."), [FieldError(
            "Content-Type", "content_type", _("Send the bytes as application/offset+octet-stream."))])
    offset = _header_int(request, "Upload-Offset")
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    upload = resumable.append(request.auth, upload_id, offset, length, request.read)
    return _upload_headers(HttpResponse(status=204), upload)


@router.delete(ITEM, auth=AUTH, response={204: None, **TUS_ERRORS}, summary="Resumable uploads: cancel one",
               description="Its bytes are deleted; a file already stored from it stays.",
               openapi_extra=_params(TUS_RESUMABLE))
@tus
def tus_delete(request: HttpRequest, upload_id: UUID) -> HttpResponse:
    resumable.terminate(request.auth, upload_id)
    return HttpResponse(status=204)
