"""The dossier status machine: each action's statuses, who may perform it, and what it does.

Action names are part of the API contract: accept, request_supplement, refuse (one-stop officer); supplement,
withdraw (applicant); pay (one-stop officer for a payment at the desk; online, the payment gateway through
motcua.payments); complete_step, transfer, request_payment; approve, deny (leader or delegate); return_result; stop;
apology. `allowed_actions` tells a caller what it may do now; `act` refuses anything else with
409 and that list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import Conflict, FieldError, ValidationFailed
from motcua.documents import warehouse
from motcua.identity.models import User
from motcua.organization.models import Unit
from motcua.organization.queries import can_approve, has_role

from . import rules, services
from .models import ACTIVE, Dossier, Outcome, Status
from .services import Actor, _attach, _component_files, _enter_step, _finish, _pause, _resume, process_for, record

Run = Callable[[Dossier, Actor, dict[str, Any], datetime], tuple[str, dict[str, Any]]]
ApprovalHook = Callable[[Dossier, Actor, dict[str, Any], datetime], dict[str, Any]]

# Work that must happen inside an approval's transaction, registered by the apps that do it (results: render, sign and
# store the electronic result, so a dossier is never "processed" without its result, and a signing failure leaves the
# dossier as it was). Each hook returns data for the history event. Registered from AppConfig.ready(), so this module
# does not import those apps.
_approval_hooks: dict[str, ApprovalHook] = {}


def on_approval(name: str, hook: ApprovalHook) -> None:
    _approval_hooks[name] = hook


@dataclass(frozen=True)
class ActionSpec:
    name: str
    statuses: frozenset[int]
    run: Run
    step: bool = False  # must be listed among the current step's actions; performed by the step's role
    roles: tuple[str, ...] = ()  # staff roles (in the dossier's current unit) that may perform it
    applicant: bool = False  # performed by the applicant (owner or the person who submitted)


def _text(payload: dict[str, Any], key: str, *, required: bool = False, limit: int = 4000) -> str:
    value = payload.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(_("The request is not valid."), [FieldError(key, "type", _("Must be text."))])
    value = value.strip()
    if required and not value:
        raise ValidationFailed(_("The request is not valid."), [FieldError(key, "required", _("This is required."))])
    if len(value) > limit:
        raise ValidationFailed(_("The request is not valid."), [FieldError(key, "max_length", _("Too long."))])
    return value


def _texts(payload: dict[str, Any], key: str) -> list[str]:
    value = payload.get(key)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not [v for v in value if isinstance(v, str) and v.strip()]:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError(key, "required", _("List at least one item.")),
        ])
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]


# --- what each action does ----------------------------------------------------------------------------------------

def _next_step(dossier: Dossier, action: str, payload: dict[str, Any]) -> Any:
    """The step an action leads to from the current step; `next_step` picks one where the definition branches."""
    process = process_for(dossier)
    step = process.step(dossier.current_step)
    options = step.next_steps(action) if step else [None]
    chosen = payload.get("next_step")
    if len(options) > 1 and chosen is None:
        raise ValidationFailed(_("Choose the next step."), [
            FieldError("next_step", "required", _("This step branches: choose one of %(steps)s.")
                       % {"steps": ", ".join(str(o) for o in options)}),
        ])
    if chosen is not None and chosen not in options:
        raise ValidationFailed(_("Choose the next step."), [
            FieldError("next_step", "choice", _("Not a next step of the current step.")),
        ])
    target = chosen if chosen is not None else options[0]
    return process.step(target) if target else None


def _accept(dossier: Dossier, actor: Actor, payload: dict[str, Any], now: datetime) -> tuple[str, dict[str, Any]]:
    version = dossier.version
    calendar = services.calendar_for(dossier.receiving_unit)
    dossier.accepted_at = now
    dossier.due_at = calendar.due_at(now, version.time_limit_value, version.time_limit_unit)
    dossier.status = Status.ACCEPTED
    _enter_step(dossier, _next_step(dossier, "accept", payload), now)
    # The components of a document type go into the applicant's warehouse, to be reused next time.
    warehouse.file_dossier_components(dossier, now)
    return _text(payload, "note"), {"due_at": dossier.due_at.isoformat(), "slip": "receipt"}


def _request_supplement(dossier: Dossier, actor: Actor, payload: dict[str, Any], now: datetime
                        ) -> tuple[str, dict[str, Any]]:
    items = _texts(payload, "items")
    repeat = dossier.supplement_requests > 0
    dossier.supplement_requests += 1
    _pause(dossier, "supplement", now)
    dossier.status = Status.SUPPLEMENT
    return _text(payload, "note"), {"items": items, "repeat": repeat, "slip": "supplement"}


def _refuse(dossier: Dossier, actor: Actor, payload: dict[str, Any], now: datetime) -> tuple[str, dict[str, Any]]:
    reasons = _texts(payload, "reasons")
    _finish(dossier, Status.NOT_ACCEPTED, Outcome.REFUSED, now)
    _enter_step(dossier, None, now)
    return "; ".join(reasons), {"reasons": reasons, "slip": "refusal"}


def _supplement(dossier: Dossier, actor: Actor, payload: dict[str, Any], now: datetime) -> tuple[str, dict[str, Any]]:
    errors: list[FieldError] = []
    data: dict[str, Any] = {}
    if "form" in payload:
        errors += rules.form_errors(dossier.version, payload["form"])
    given = payload.get("components") or []
    if not isinstance(given, list):
        errors.append(FieldError("components", "type", _("Give a list of components.")))
        given = []
    uploader = dossier.submitted_by if actor.user is None else actor.user
    files = _component_files_partial(uploader, dossier, given, errors)
    if errors:
        raise ValidationFailed(_("The supplement is not valid."), errors)
    dossier.revision += 1
    if "form" in payload:
        data["previous_form"] = dossier.form_data
        dossier.form_data = payload["form"]
    _attach(dossier, files, now, uploader)
    waited = _resume(dossier, now)
    data.update({"revision": dossier.revision, "components": sorted({c for c, _f, _d in files}),
                 "waited_seconds": int(waited.total_seconds())})
    return _text(payload, "note"), data


def _component_files_partial(user: User, dossier: Dossier, given: list[dict[str, Any]],
                             errors: list[FieldError]) -> list[tuple[str, Any, Any]]:
    """Files for the components a supplement replaces (required ones were checked at submission)."""
    found: list[FieldError] = []
    pairs = _component_files(user, dossier.version, given, found)
    errors += [e for e in found if e.rule != "required"]
    return pairs


def _withdraw(dossier: Dossier, actor: Actor, payload: dict[str, Any], now: datetime) -> tuple[str, dict[str, Any]]:
    reason = _text(payload, "reason")
    _finish(dossier, Status.WITHDRAWN, Outcome.WITHDRAWN, now)
    _enter_step(dossier, None, now)
    return reason, {"slip": "stop"}


def _complete_step(dossier: Dossier, actor: Actor, payload: dict[str, Any], now: datetime
                   ) -> tuple[str, dict[str, Any]]:
    step = _next_step(dossier, "complete_step", payload)
    dossier.status = Status.PROCESSING
    _enter_step(dossier, step, now)
    return _text(payload, "note"), {}


def _transfer(dossier: Dossier, actor: Actor, payload: dict[str, Any], now: datetime) -> tuple[str, dict[str, Any]]:
    code = _text(payload, "unit", required=True, limit=20)
    target = Unit.objects.filter(agency_code=code, is_active=True).first()
    if target is None or target == dossier.current_unit:
        raise ValidationFailed(_("The transfer is not valid."), [
            FieldError("unit", "exists", _("Name another active unit by its agency code.")),
        ])
    previous = dossier.current_unit.agency_code
    dossier.current_unit = target
    dossier.status = Status.PROCESSING
    _enter_step(dossier, process_for(dossier).step(dossier.current_step), now)
    return _text(payload, "note"), {"from_unit": previous, "to_unit": target.agency_code}


def _request_payment(dossier: Dossier, actor: Actor, payload: dict[str, Any], now: datetime
                     ) -> tuple[str, dict[str, Any]]:
    default = sum(fee.amount_vnd for fee in dossier.version.fees.all())
    amount = payload.get("amount_vnd", default)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationFailed(_("The payment request is not valid."), [
            FieldError("amount_vnd", "positive", _("The amount must be a whole number of VND above 0.")),
        ])
    _pause(dossier, "payment", now)
    dossier.status = Status.PAYMENT
    return _text(payload, "note"), {"amount_vnd": amount}


def _pay(dossier: Dossier, actor: Actor, payload: dict[str, Any], now: datetime) -> tuple[str, dict[str, Any]]:
    transaction_id = _text(payload, "transaction_id", limit=100)
    _resume(dossier, now)
    data: dict[str, Any] = {"transaction_id": transaction_id, "payment_status": "success"}
    if actor.role == "gateway":  # settled by motcua.payments from a signed gateway answer: an online payment
        data.update({k: payload[k] for k in ("gateway", "reference", "receipt", "amount_vnd") if k in payload},
                    online=True)
    return _text(payload, "note"), data


def _decide(outcome: str) -> Run:
    def run(dossier: Dossier, actor: Actor, payload: dict[str, Any], now: datetime) -> tuple[str, dict[str, Any]]:
        note = _text(payload, "reason" if outcome == Outcome.DENIED else "note",
                     required=outcome == Outcome.DENIED)
        step = _next_step(dossier, "approve" if outcome == Outcome.APPROVED else "deny", payload)
        _finish(dossier, Status.PROCESSED, outcome, now)
        _enter_step(dossier, step, now)
        data: dict[str, Any] = {"outcome": outcome, "late": dossier.late}
        if outcome == Outcome.APPROVED:
            for hook in _approval_hooks.values():
                data.update(hook(dossier, actor, payload, now))
        return note, data

    return run


def _return_result(dossier: Dossier, actor: Actor, payload: dict[str, Any], now: datetime
                   ) -> tuple[str, dict[str, Any]]:
    method = payload.get("method", "online")
    if method not in ("online", "desk", "post"):
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("method", "choice", _("The method must be online, desk or post.")),
        ])
    dossier.status = Status.RETURNED
    dossier.returned_at = now
    _enter_step(dossier, None, now)
    return _text(payload, "note"), {"method": method}


def _stop(dossier: Dossier, actor: Actor, payload: dict[str, Any], now: datetime) -> tuple[str, dict[str, Any]]:
    reason = _text(payload, "reason", required=True)
    _finish(dossier, Status.STOPPED, Outcome.STOPPED, now)
    _enter_step(dossier, None, now)
    return reason, {"slip": "stop"}


def _apology(dossier: Dossier, actor: Actor, payload: dict[str, Any], now: datetime) -> tuple[str, dict[str, Any]]:
    reason = _text(payload, "reason", required=True)
    raw = payload.get("new_due_at")
    new_due = _parse_instant(raw) if isinstance(raw, str) else None
    errors = []
    if new_due is None:
        errors.append(FieldError("new_due_at", "format", _("Give the new date as YYYY-MM-DD or an ISO date-time.")))
    elif dossier.due_at is not None and new_due <= dossier.due_at:
        errors.append(FieldError("new_due_at", "after_due", _("The new date must be after the current due date.")))
    if dossier.due_at is None or now >= dossier.due_at:
        errors.append(FieldError("due_at", "before_due", _("An apology is sent before the due date, not after.")))
    if dossier.apologies >= services.apology_limit():
        errors.append(FieldError("apology", "limit", _("An apology with a new date was already sent.")))
    if errors:
        raise ValidationFailed(_("The apology is not valid."), errors)
    previous = dossier.due_at
    dossier.due_at = new_due
    dossier.apologies += 1
    return reason, {"previous_due_at": previous.isoformat(), "new_due_at": new_due.isoformat(), "slip": "apology"}


def _parse_instant(value: str) -> datetime | None:
    """A date (end of that working day, 17:00 local) or an aware/naive ISO date-time (naive = local time)."""
    try:
        day: date | None = parse_date(value)  # a plain date first: Python reads "2026-11-27" as midnight too
        instant = datetime.combine(day, time(17, 0)) if day else parse_datetime(value)
    except ValueError:
        return None
    if instant is None:
        return None
    return timezone.make_aware(instant) if timezone.is_naive(instant) else instant


_WORKING = frozenset({Status.ACCEPTED, Status.PROCESSING})
SPECS: dict[str, ActionSpec] = {spec.name: spec for spec in [
    ActionSpec("accept", frozenset({Status.NEW}), _accept, step=True),
    ActionSpec("request_supplement", frozenset({Status.NEW, *_WORKING}), _request_supplement,
               roles=("onestop", "handler")),
    ActionSpec("refuse", frozenset({Status.NEW}), _refuse, roles=("onestop",)),
    ActionSpec("supplement", frozenset({Status.SUPPLEMENT}), _supplement, applicant=True),
    ActionSpec("withdraw", ACTIVE, _withdraw, applicant=True),
    ActionSpec("complete_step", _WORKING, _complete_step, step=True),
    ActionSpec("transfer", _WORKING, _transfer, roles=("onestop", "handler", "leader")),
    ActionSpec("request_payment", _WORKING, _request_payment, roles=("onestop", "handler")),
    # Online payments are settled by motcua.payments from a signed gateway answer (role "gateway", through `perform`);
    # an applicant cannot mark their own fees paid. The one-stop officer records a payment made at the desk.
    ActionSpec("pay", frozenset({Status.PAYMENT}), _pay, roles=("onestop",)),
    ActionSpec("approve", _WORKING, _decide(Outcome.APPROVED), step=True),
    ActionSpec("deny", _WORKING, _decide(Outcome.DENIED), step=True),
    ActionSpec("return_result", frozenset({Status.PROCESSED}), _return_result, step=True),
    ActionSpec("stop", frozenset({*_WORKING, Status.SUPPLEMENT, Status.PAYMENT}), _stop, roles=("leader", "onestop")),
    ActionSpec("apology", frozenset({*_WORKING, Status.SUPPLEMENT, Status.PAYMENT}), _apology,
               roles=("handler", "leader", "onestop")),
]}


# --- who may do what ----------------------------------------------------------------------------------------------

def is_party(dossier: Dossier, user: User) -> bool:
    """The applicant's side: the owner's account or whoever submitted it (a representative)."""
    return user.is_applicant and user.pk in (dossier.applicant_id, dossier.submitted_by_id)


def role_for(dossier: Dossier, user: User, spec: ActionSpec) -> str | None:
    """The role in which `user` may perform `spec` on `dossier` now, or None."""
    if dossier.status not in spec.statuses:
        return None
    if spec.applicant:
        return "applicant" if is_party(dossier, user) else None
    if not user.is_staff_member:
        return None
    if spec.step:
        step = process_for(dossier).step(dossier.current_step)
        if step is None or spec.name not in step.actions or step.automatic:
            return None
        if spec.name in ("approve", "deny"):
            return "leader" if can_approve(user, dossier.current_unit) else None
        return step.role if has_role(user, step.role, dossier.current_unit) else None
    return next((role for role in spec.roles if has_role(user, role, dossier.current_unit)), None)


def allowed_actions(dossier: Dossier, user: User) -> list[str]:
    return [name for name, spec in SPECS.items() if role_for(dossier, user, spec)]


def act(user: User, dossier: Dossier, action: str, payload: dict[str, Any]) -> Dossier:
    """Perform `action` as `user`; 409 (with the allowed actions) when it is not allowed now."""
    spec = SPECS.get(action)
    role = role_for(dossier, user, spec) if spec else None
    if spec is None or role is None:
        allowed = allowed_actions(dossier, user)
        raise Conflict(_("This action is not allowed now. Allowed: %(actions)s.")
                       % {"actions": ", ".join(allowed) or "—"},
                       [FieldError("action", "allowed", _("Not allowed in this status, step or role."))],
                       extra={"allowed_actions": allowed})
    return perform(dossier, Actor(user, role), action, payload)


@transaction.atomic
def perform(dossier: Dossier, actor: Actor, action: str, payload: dict[str, Any]) -> Dossier:
    """Do `action` (authorization already decided), append history and outbox, then let automatic steps act."""
    # of=("self",): lock the dossier row only. PostgreSQL refuses FOR UPDATE on the nullable side of an outer join
    # (the applicant), and the joined rows need no lock.
    locked = Dossier.objects.select_for_update(of=("self",)).select_related(
        "version", "procedure", "current_unit", "receiving_unit", "applicant").get(pk=dossier.pk)
    spec = SPECS[action]
    if locked.status not in spec.statuses:  # changed by someone else since the caller read it
        raise Conflict(_("The dossier changed meanwhile: reload it."), [
            FieldError("status", "stale", _("The dossier's status changed.")),
        ])
    now = clock.now()
    from_status, from_step = locked.status, locked.current_step
    note, data = spec.run(locked, actor, payload if isinstance(payload, dict) else {}, now)
    locked.updated_at = now
    locked.save()
    record(locked, action, actor, from_status, note=note, data=data, from_step=from_step)
    services.run_automatic(locked)
    dossier.refresh_from_db()
    return dossier
