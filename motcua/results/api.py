"""Electronic results over the API: metadata and signed file (holder, officers), cancel and replace (leaders),
public verification by code, uploaded PDF or QR seal text; and the dossier slips as PDF."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Body, File, Form, Router, Schema, UploadedFile
from ninja import Field as SchemaField
from ninja import Status as Reply

from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import FieldError, NotFound, ValidationFailed, active_language
from motcua.documents.downloads import file_response
from motcua.documents.services import max_upload_bytes
from motcua.dossiers.slips import KINDS
from motcua.identity.api import AUTH

from . import queries, rendering, services, verify
from .models import Result
from .views import pdf_response

router = Router(tags=["results"])


class IssuerOut(Schema):
    code: str
    name: str


class ResultOut(Schema):
    code: str = SchemaField(..., description="`<dossier code>-KQ<n>`.")
    dossier_code: str
    number: int
    title: str
    holder_name: str
    issuer: IssuerOut
    issued_at: datetime
    valid_until: date | None = SchemaField(None, description="Empty: no time limit.")
    state: str = SchemaField(..., description="valid, cancelled or replaced (as recorded).")
    standing: str = SchemaField(..., description="valid, cancelled, replaced or expired (what a verifier is told).")
    changed_at: datetime | None
    change_reason: str
    replaces: str | None
    replaced_by: str | None
    sha256: str = SchemaField(..., description="SHA-256 of the signed PDF.")
    size: int
    signers: list[dict[str, Any]]
    seal: str = SchemaField(..., description="The QR seal's text: a compact ES256 JWS (keys: /.well-known/jwks.json).")
    file_url: str
    verify_url: str


def result_out(result: Result) -> dict[str, Any]:
    replaced_by = getattr(result, "replaced_by", None)
    return {
        "code": result.code, "dossier_code": result.dossier.code, "number": result.number, "title": result.title,
        "holder_name": result.holder_name,
        "issuer": {"code": result.issuer.agency_code, "name": result.issuer.name_vi},
        "issued_at": result.issued_at, "valid_until": result.valid_until, "state": result.state,
        "standing": result.standing, "changed_at": result.changed_at, "change_reason": result.change_reason,
        "replaces": result.replaces.code if result.replaces else None,
        "replaced_by": replaced_by.code if replaced_by else None,
        "sha256": result.file.sha256, "size": result.file.size, "signers": result.signers, "seal": result.seal,
        "file_url": f"/api/v1/results/{result.code}/file", "verify_url": f"/verify/{result.code}/",
    }


class ChangeIn(Schema):
    reason: str = SchemaField(..., max_length=2000)


class ReplaceIn(Schema):
    reason: str = SchemaField(..., max_length=2000)
    valid_until: str | None = SchemaField(None, description="YYYY-MM-DD; default: the replaced result's.")
    form: dict[str, Any] | None = SchemaField(None, description="Corrected form data (checked against the schema).")


class VerifyOut(Schema):
    verdict: str = SchemaField(..., description="`valid` only when the result is in the registry, still valid, "
                                                 "intact and signed with valid, trusted signatures.")
    found: bool
    result: dict[str, Any] | None
    document: dict[str, Any] | None
    signatures: list[dict[str, Any]]
    seal: dict[str, Any] | None = SchemaField(None, description="The claims of a verified QR seal.")
    reasons: list[dict[str, str]] = SchemaField(..., description="Why it is not valid, in Vietnamese and English.")


def _visible_or_404(request: HttpRequest, code: str) -> Result:
    result = queries.get_visible_result(request.auth, code)
    if result is None:
        raise NotFound(_("No result of yours has this code."), [FieldError("code", "exists", _("Unknown code."))])
    return result


@router.get("/results", auth=AUTH, response={200: list[ResultOut], 401: ErrorOut, **ERRORS},
            summary="My results (holders: their warehouse's results; officers: those of their units' dossiers)")
def list_results(request: HttpRequest, dossier: str | None = None) -> list[dict[str, Any]]:
    rows = queries.visible_results(request.auth)
    if dossier:
        rows = rows.filter(dossier__code=dossier)
    return [result_out(r) for r in rows.order_by("-issued_at", "-pk")[:200]]


@router.get("/results/{code}", auth=AUTH, response={200: ResultOut, 401: ErrorOut, 404: ErrorOut},
            summary="A result's metadata and standing (its holder and the officers who see the dossier)")
def get_result(request: HttpRequest, code: str) -> dict[str, Any]:
    return result_out(_visible_or_404(request, code))


@router.get("/results/{code}/file", auth=AUTH, response={401: ErrorOut, 404: ErrorOut},
            summary="The signed PDF (cancelled and replaced results stay retrievable)")
def result_file(request: HttpRequest, code: str) -> Any:
    return file_response(_visible_or_404(request, code).file)


@router.post("/results/{code}/cancel", auth=AUTH,
             response={200: ResultOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="Cancel a result with a reason (a leader of the issuing unit)")
def cancel(request: HttpRequest, code: str, payload: ChangeIn) -> dict[str, Any]:
    result = services.cancel(_visible_or_404(request, code), request.auth, payload.model_dump())
    return result_out(queries.by_code(result.code))


@router.post("/results/{code}/replace", auth=AUTH,
             response={201: ResultOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="Replace a result (a correction): a new result number, signed again (a leader of the issuer)")
def replace(request: HttpRequest, code: str, payload: ReplaceIn = Body(...)) -> Any:
    data = payload.model_dump(exclude_none=True)
    new = services.replace(_visible_or_404(request, code), request.auth, data)
    return Reply(201, result_out(queries.by_code(new.code)))


@router.get("/verify/{code}", auth=None, response={200: VerifyOut, 429: ErrorOut, **ERRORS},
            summary="Verify a result by its code (anyone): registry standing, stored file, signatures")
def verify_code(request: HttpRequest, code: str) -> dict[str, Any]:
    verify.check_rate(request.META.get("REMOTE_ADDR", ""))
    return verify.by_code(code)


@router.post("/verify", auth=None, response={200: VerifyOut, 400: ErrorOut, 422: ErrorOut, 429: ErrorOut},
             summary="Verify an uploaded PDF (`file`), a QR seal's text (`qr`) or a code (`code`) (anyone)",
             description="Multipart form with one of: `file` (the PDF), `qr` (the text a scanner read from the QR "
                         "code), `code` (a result code).")
def verify_any(request: HttpRequest, file: UploadedFile | None = File(None), qr: str | None = Form(None),
               code: str | None = Form(None)) -> dict[str, Any]:
    verify.check_rate(request.META.get("REMOTE_ADDR", ""))
    if file is not None:
        if file.size > max_upload_bytes():
            raise ValidationFailed(_("The file is too large."), [
                FieldError("file", "max_size", _("The file is over the upload limit.")),
            ])
        return verify.by_file(file.read())
    if qr:
        return verify.by_seal(qr)
    if code:
        return verify.by_code(code)
    raise ValidationFailed(_("The request is not valid."), [
        FieldError("file", "required", _("Send a PDF as `file`, the QR text as `qr`, or a result code as `code`.")),
    ])


PDF = {"schema": {"type": "string", "format": "binary"}}
SLIP_DESCRIPTION = (
    "The slip as a PDF/A-3b document (A4, fonts embedded), in the language of `Accept-Language` (Vietnamese by "
    "default). Kinds: " + ", ".join(f"`{kind}`" for kind in KINDS) + ". A slip exists once the action that issues it "
    "happened (`receipt`: accept, `supplement`: request_supplement, `refusal`: refuse, `apology`: apology, `denial`: "
    "deny, `stop`: withdraw or stop); `control` always. The applicant's control slip lists the public events only. "
    "Page 1 keeps a blank square at the bottom left for the verification QR seal. 404 when the dossier is not yours "
    "(or your units') or has no such slip."
)


@router.get("/dossiers/{code}/slips/{kind}.pdf", auth=AUTH, response={401: ErrorOut, 404: ErrorOut, **ERRORS},
            summary="A slip of a dossier, as PDF (whoever may see the dossier: its applicant, its officers)",
            description=SLIP_DESCRIPTION,
            openapi_extra={"responses": {200: {
                "description": "The PDF, inline, named `<code>-<kind>.pdf`.", "content": {"application/pdf": PDF},
            }}})
def slip_pdf(request: HttpRequest, code: str, kind: str) -> Any:
    pdf = rendering.slip_pdf_for(request.auth, code, kind, active_language())
    if pdf is None:
        raise NotFound(_("No dossier of yours has this code, or it has no such slip."), [
            FieldError("code", "exists", _("Unknown code.")) if kind in KINDS
            else FieldError("kind", "choice", _("Unknown kind of slip.")),
        ])
    response: HttpResponse = pdf_response(pdf, f"{code}-{kind}.pdf")
    return response
