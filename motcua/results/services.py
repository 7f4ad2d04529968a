"""Issuing, cancelling and replacing electronic results.

A result is issued inside the approval's transaction (`issue_on_approval`, registered with the dossier status machine):
render the procedure's template to PDF/A, stamp the QR seal, sign with the approving leader's personal key when they
have one, then with the issuing unit's seal, and store the file in the holder's warehouse under `<dossier>-KQ<n>`. A
failure at any point (a missing key, bad input) rolls the approval back: status 9 never exists without its result.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from motcua.audit import services as audit
from motcua.core import clock
from motcua.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from motcua.documents.services import store_generated
from motcua.dossiers import rules
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import Actor, record
from motcua.identity.models import User
from motcua.integrations import outbox
from motcua.organization.queries import can_approve

from . import rendering, seal, signing
from .models import Result, State


def parse_valid_until(payload: dict[str, Any], today: date) -> date | None:
    """The optional `valid_until` of an approval or replacement: a date after today, or nothing (no time limit)."""
    raw = payload.get("valid_until")
    if raw in (None, ""):
        return None
    day = None
    if isinstance(raw, str):
        try:
            day = parse_date(raw)
        except ValueError:
            day = None
    if day is None:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("valid_until", "format", _("Give the date as YYYY-MM-DD.")),
        ])
    if day <= today:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("valid_until", "future", _("The result must stay valid after today.")),
        ])
    return day


def _content(dossier: Dossier, code: str, signer: User | None, issued_at: datetime,
             valid_until: date | None) -> rendering.ResultContent:
    """What the result says: read from the dossier; signed in the name of `signer` (the approving leader) if any."""
    content = rendering.result_content_for(dossier, code, issued_at=issued_at, valid_until=valid_until)
    unit = dossier.current_unit
    return dataclasses.replace(
        content, issuing_unit_name=unit.name_vi, issuing_unit_code=unit.agency_code,
        signer_name=signer.display_name if signer else "",
    )


def _sign(pdf: bytes, code: str, unit: Any, signer_user: User | None) -> tuple[bytes, list[dict[str, str]]]:
    """The leader's personal signature (when they hold a key), then the unit's seal: two incremental updates."""
    signers: list[dict[str, str]] = []
    personal = signing.signer_for_officer(signer_user) if signer_user else None
    if personal is not None:
        pdf = signing.sign_pdf(pdf, personal, field_name="LeaderSignature",
                               reason=f"Phê duyệt kết quả {code}", location=unit.name_vi)
        signers.append({"kind": "leader", "name": signer_user.display_name, "username": signer_user.username})
    pdf = signing.sign_pdf(pdf, signing.signer_for_unit(unit), field_name="UnitSeal",
                           reason=f"Ban hành kết quả {code}", location=unit.name_vi)
    signers.append({"kind": "unit", "name": unit.name_vi, "agency_code": unit.agency_code})
    return pdf, signers


def _issue(dossier: Dossier, signer_user: User | None, valid_until: date | None, now: datetime,
           replaces: Result | None = None) -> Result:
    """Render, seal, sign and store the next result of `dossier` (the caller holds the dossier's row lock)."""
    number = (Result.objects.filter(dossier=dossier).aggregate(n=Max("number"))["n"] or 0) + 1
    code = f"{dossier.code}-KQ{number}"
    unit = dossier.current_unit
    content = _content(dossier, code, signer_user, now, valid_until)
    rendered = rendering.render_result_pdf(content)
    sealed = seal.seal_pdf(rendered, {
        "t": "r", "c": code, "i": unit.agency_code, "n": unit.name_vi,
        "d": timezone.localtime(now).date().isoformat(), "e": valid_until.isoformat() if valid_until else None,
        "h": dossier.owner_name,
    }, rendering.SEAL_BOX)
    signed, signers = _sign(sealed.pdf, code, unit, signer_user)
    owner = dossier.applicant or dossier.submitted_by
    stored = store_generated(owner, signed, f"{code}.pdf", "application/pdf")
    result = Result.objects.create(
        code=code, dossier=dossier, number=number, title=content.result_title, holder=dossier.applicant,
        holder_name=dossier.owner_name, holder_id_number=dossier.owner_id_number, issuer=unit, issued_at=now,
        valid_until=valid_until, file=stored, seal=sealed.token, content_sha256=sealed.content_sha256,
        content_length=sealed.content_length, signers=signers, replaces=replaces,
    )
    outbox.emit("result.issued", code, _event_payload(result))
    return result


def _event_payload(result: Result) -> dict[str, Any]:
    return {"code": result.code, "dossier_code": result.dossier.code, "state": result.state,
            "issuer": result.issuer.agency_code, "issued_at": result.issued_at.isoformat(),
            "valid_until": result.valid_until.isoformat() if result.valid_until else None,
            "holder_id": result.holder_id, "sha256": result.file.sha256,
            "replaces": result.replaces.code if result.replaces else None, "reason": result.change_reason}


def issue_on_approval(dossier: Dossier, actor: Actor, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The approval hook: issue the result, signed by the approving leader (an automatic approval: the unit only)."""
    valid_until = parse_valid_until(payload, clock.today())
    result = _issue(dossier, actor.user, valid_until, now)
    return {"result": result.code}


# --- cancellation and replacement ---------------------------------------------------------------------------------

def _check_leader(user: User, result: Result) -> None:
    if not (user.is_staff_member and can_approve(user, result.issuer)):
        raise PermissionDenied(_("Only a leader of the issuing unit (or their delegate) may do this."), [
            FieldError("user", "leader", _("Not a leader of the issuing unit.")),
        ])


def _reason(payload: dict[str, Any]) -> str:
    reason = payload.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("reason", "required", _("Give the reason.")),
        ])
    if len(reason) > 2000:
        raise ValidationFailed(_("The request is not valid."), [FieldError("reason", "max_length", _("Too long."))])
    return reason.strip()


def _lock(result: Result) -> tuple[Result, Dossier]:
    dossier = Dossier.objects.select_for_update().select_related(
        "version", "procedure", "current_unit", "applicant", "submitted_by").get(pk=result.dossier_id)
    locked = Result.objects.select_related("issuer", "file").get(pk=result.pk)
    if locked.state != State.VALID:
        raise Conflict(_("This result is no longer valid: it was cancelled or replaced."), [
            FieldError("state", "valid", _("Only a valid result can be cancelled or replaced.")),
        ], extra={"state": locked.state})
    return locked, dossier


def _close(result: Result, user: User, state: str, reason: str, now: datetime) -> None:
    result.state = state
    result.changed_at, result.changed_by_name, result.change_reason = now, user.display_name, reason
    result.save(update_fields=["state", "changed_at", "changed_by_name", "change_reason"])
    audit.record(f"result_{state}", actor=user, object_type="result", object_id=result.code, data={"reason": reason})


@transaction.atomic
def cancel(result: Result, user: User, payload: dict[str, Any]) -> Result:
    """Cancel a valid result with a reason. It stays retrievable and verifiable, shown as cancelled."""
    _check_leader(user, result)
    reason = _reason(payload)
    result, dossier = _lock(result)
    now = clock.now()
    _close(result, user, State.CANCELLED, reason, now)
    record(dossier, "cancel_result", Actor(user, "leader"), dossier.status, note=reason,
           data={"result": result.code})
    outbox.emit("result.cancelled", result.code, _event_payload(result))
    return result


@transaction.atomic
def replace(result: Result, user: User, payload: dict[str, Any]) -> Result:
    """Replace a valid result (a correction): a new result number, signed again; the old one shows as replaced.

    `form` (optional) corrects the dossier's form data, checked against the procedure's form schema; `valid_until`
    (optional) sets the new validity, else the old one is kept."""
    _check_leader(user, result)
    reason = _reason(payload)
    today = clock.today()
    valid_until = parse_valid_until(payload, today) if payload.get("valid_until") else result.valid_until
    result, dossier = _lock(result)
    if "form" in payload:
        errors = rules.form_errors(dossier.version, payload["form"])
        if errors:
            raise ValidationFailed(_("The corrected form is not valid."), errors)
        dossier.form_data = payload["form"]
        dossier.save(update_fields=["form_data"])
    now = clock.now()
    _close(result, user, State.REPLACED, reason, now)
    new = _issue(dossier, user, valid_until, now, replaces=result)
    record(dossier, "replace_result", Actor(user, "leader"), dossier.status, note=reason,
           data={"result": result.code, "replacement": new.code})
    return new
