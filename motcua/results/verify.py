"""Public verification of results: by code, by an uploaded PDF, or by the text of a QR seal.

Every answer says whether the result is in the registry and still valid (not cancelled, replaced or expired), whether
the document is intact (the file's rendered document matches what was issued), and who signed it, when, and whether
those signatures are valid and trusted. `verdict` sums it up: "valid" only when everything holds.

Looking a result up by its code alone does not prove one holds the document, so that answer shows the holder's name
masked; an uploaded PDF or a scanned seal carries the name already, and the answer shows it in full.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from io import BytesIO
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils.reader import PdfFileReader

from motcua.core import ratelimit
from motcua.core.errors import FieldError, both_languages
from motcua.documents.services import open_file

from . import queries, seal, signing
from .models import Result

CODE = re.compile(r"[0-9A-Za-z.]+-\d{6}-\d{4,}-KQ\d+")

STANDING_TEXT: dict[str, Promise] = {
    "valid": _("The result is valid."),
    "cancelled": _("The result was cancelled by its issuer."),
    "replaced": _("The result was replaced by a newer result."),
    "expired": _("The result has expired."),
}


def check_rate(address: str) -> None:
    """Count one verification from `address`; 429 past MOTCUA_VERIFY_RATE (checking a PDF costs real CPU)."""
    ratelimit.enforce("verify", address, getattr(settings, "MOTCUA_VERIFY_RATE", (60, 60)),
                      _("Too many verifications from your address: wait a minute."),
                      FieldError("address", "rate_limit", _("Too many requests from this address.")))


def mask_name(name: str) -> str:
    """'Nguyễn Văn An' -> 'N. V. An': enough to recognise, not enough to learn a name from a guessed code."""
    words = name.split()
    return " ".join([f"{w[0]}." for w in words[:-1]] + words[-1:])


def _registry(result: Result, *, full_name: bool) -> dict[str, Any]:
    replaced_by = getattr(result, "replaced_by", None)
    return {
        "code": result.code, "dossier_code": result.dossier.code, "title": result.title,
        "holder_name": result.holder_name if full_name else mask_name(result.holder_name),
        "issuer": {"code": result.issuer.agency_code, "name": result.issuer.name_vi},
        "issued_at": result.issued_at, "valid_until": result.valid_until, "state": result.state,
        "standing": result.standing, "standing_text": both_languages(STANDING_TEXT[result.standing]),
        "changed_at": result.changed_at, "change_reason": result.change_reason,
        "replaced_by": replaced_by.code if replaced_by else None,
        "replaces": result.replaces.code if result.replaces else None,
        "sha256": result.file.sha256,
    }


def _signatures(pdf: bytes) -> tuple[list[dict[str, Any]], bool]:
    """Each signature as a dict, and whether there is at least one and all are valid, intact and trusted."""
    checked = signing.validate_pdf(pdf)
    rows = [dataclasses.asdict(s) for s in checked.signatures]
    return rows, bool(rows) and checked.all_valid and checked.all_trusted and checked.intact


def _answer(*, result: Result | None, full_name: bool, reasons: list[Promise], document: dict[str, Any] | None,
            signatures: list[dict[str, Any]], signatures_ok: bool | None, seal_claims: dict[str, Any] | None = None,
            ) -> dict[str, Any]:
    if result is not None and result.standing != "valid":
        reasons = [STANDING_TEXT[result.standing], *reasons]
    if signatures_ok is False:
        reasons.append(_("A signature is missing, not valid, not trusted, or the file was changed after signing."))
    ok = result is not None and not reasons
    return {
        "verdict": "valid" if ok else "not_valid",
        "found": result is not None,
        "result": _registry(result, full_name=full_name) if result else None,
        "document": document, "signatures": signatures, "seal": seal_claims,
        "reasons": [both_languages(r) for r in reasons],
    }


def by_code(code: str) -> dict[str, Any]:
    """The registry's answer for a typed or scanned result code, checking the stored signed file."""
    result = queries.by_code(code.strip())
    if result is None:
        return _answer(result=None, full_name=False, reasons=[_("No result with this code was issued.")],
                       document=None, signatures=[], signatures_ok=None)
    with open_file(result.file) as handle:
        pdf = handle.read()
    intact = hashlib.sha256(pdf).hexdigest() == result.file.sha256 and seal.content_matches(
        pdf, {"s": result.content_sha256, "l": result.content_length})
    signatures, ok = _signatures(pdf)
    reasons = [] if intact else [_("The stored file does not match what was issued.")]
    return _answer(result=result, full_name=False, reasons=reasons,
                   document={"source": "registry", "intact": intact, "registered_copy": True},
                   signatures=signatures, signatures_ok=ok)


def _code_in_metadata(pdf: bytes) -> str | None:
    try:
        info = PdfFileReader(BytesIO(pdf), strict=False).trailer_view.get("/Info")
        text = " ".join(str(info.get(key, "")) for key in ("/Keywords", "/Subject", "/Title")) if info else ""
    except Exception:  # noqa: BLE001 - a damaged file is reported by the signature check, not here
        return None
    match = CODE.search(text)
    return match.group(0) if match else None


def by_file(pdf: bytes) -> dict[str, Any]:
    """Check an uploaded PDF: its signatures, and whether it is (an extension of) a result in the registry."""
    signatures, ok = _signatures(pdf)  # raises 422 (field `file`) when this is not a PDF at all
    digest = hashlib.sha256(pdf).hexdigest()
    result = Result.objects.filter(file__sha256=digest).select_related(
        "dossier", "issuer", "file", "replaces").first()
    registered = result is not None
    if result is None:
        code = _code_in_metadata(pdf)
        result = queries.by_code(code) if code else None
    if result is None:
        return _answer(result=None, full_name=False, signatures=signatures, signatures_ok=ok,
                       reasons=[_("This file is not a result issued by this system.")],
                       document={"source": "upload", "intact": False, "registered_copy": False, "sha256": digest})
    intact = seal.content_matches(pdf, {"s": result.content_sha256, "l": result.content_length})
    reasons = [] if intact else [_("The document's content differs from the issued result.")]
    return _answer(result=result, full_name=True, reasons=reasons, signatures=signatures, signatures_ok=ok,
                   document={"source": "upload", "intact": intact, "registered_copy": registered, "sha256": digest})


def by_seal(token: str) -> dict[str, Any]:
    """Check the text of a QR seal (raises InvalidSeal, a 422 naming `qr`, when it is not one of ours)."""
    claims = seal.read_token(token)
    if claims.get("t") != "r":  # a slip: nothing to look up, the signed claims are the answer
        return {"verdict": "valid", "found": True, "result": None, "document": None, "signatures": [],
                "seal": claims, "reasons": []}
    result = queries.by_code(str(claims.get("c", "")))
    reasons: list[Promise] = []
    if result is not None and claims.get("s") != result.content_sha256:
        reasons.append(_("The seal does not belong to the registered version of this result."))
    if result is None:
        reasons.append(_("No result with this code was issued."))
    return _answer(result=result, full_name=True, reasons=reasons, document=None, signatures=[],
                   signatures_ok=None, seal_claims=claims)
