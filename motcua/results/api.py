"""Results over the API: the dossier slips as PDF (the electronic results themselves come with the Result model)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Router

from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import FieldError, NotFound, active_language
from motcua.dossiers.slips import KINDS
from motcua.identity.api import AUTH

from . import rendering
from .views import pdf_response

router = Router(tags=["results"])

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
