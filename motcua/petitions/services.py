"""Every write to a petition: submission, the officers' actions, the petitioner's information and satisfaction.

Each runs in one transaction that changes the petition, appends a history event and emits an outbox event
(`petition.changed`). Deadlines are working days (settings `MOTCUA_PETITION_*_DAYS`) counted with the calendar of the
petition's unit from `clock_start_at`: when it was sent, or its latest transfer to another unit (index-766.md 5.2).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import Procedure
from motcua.core import clock, ratelimit
from motcua.core.errors import (
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    both_languages,
)
from motcua.dossiers.codes import new_lookup_key
from motcua.dossiers.models import Dossier
from motcua.identity.models import User
from motcua.integrations import outbox
from motcua.organization.models import Role, RoleAssignment, Unit
from motcua.organization.queries import calendar_for

from .models import ANSWERED, Category, Kind, Petition, PetitionEvent, State

# The staff roles that handle petitions in their unit.
OFFICER_ROLES = (Role.ONESTOP, Role.HANDLER, Role.LEADER)

STAGES = ("refuse", "info", "answer", "publish")
_DEFAULT_DAYS = {"refuse": 2, "info": 5, "answer": 15, "publish": 2}


def deadline_days(stage: str) -> int:
    """Working days allowed for a stage: settings MOTCUA_PETITION_{REFUSE,INFO,ANSWER,PUBLISH}_DAYS (2, 5, 15, 2)."""
    return int(getattr(settings, f"MOTCUA_PETITION_{stage.upper()}_DAYS", _DEFAULT_DAYS[stage]))


@dataclass
class NewPetition:
    title: str
    content: str
    kind: str = Kind.FEEDBACK
    procedure: str = ""
    dossier: str = ""
    unit: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""


# --- helpers ------------------------------------------------------------------------------------------------------

def _text(value: Any, field: str, errors: list[FieldError], *, required: bool = False, limit: int = 4000) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.append(FieldError(field, "type", _("Must be text.")))
        return ""
    value = value.strip()
    if required and not value:
        errors.append(FieldError(field, "required", _("This is required.")))
    elif len(value) > limit:
        errors.append(FieldError(field, "max_length", _("Too long.")))
    return value


def _start_clock(petition: Petition, start: datetime) -> None:
    """The deadlines of refusal, information request and answer, counted from `start`."""
    calendar = calendar_for(petition.unit)
    petition.clock_start_at = start
    petition.refuse_due_at = calendar.add_working_days(start, deadline_days("refuse"))
    petition.info_due_at = calendar.add_working_days(start, deadline_days("info"))
    petition.answer_due_at = calendar.add_working_days(start, deadline_days("answer"))


def _root_unit() -> Unit | None:
    return Unit.objects.filter(parent__isnull=True, is_active=True).order_by("path").first()


def record(petition: Petition, action: str, user: User | None, from_state: str, *, note: str = "",
           data: dict[str, Any] | None = None, first: bool = False) -> PetitionEvent:
    """Append the history event of an action and emit its outbox event, in the caller's transaction."""
    last = 0 if first else (PetitionEvent.objects.filter(petition=petition).order_by("-seq")
                            .values_list("seq", flat=True).first() or 0)
    name = user.display_name if user is not None else petition.petitioner_name
    event = PetitionEvent.objects.create(
        petition=petition, seq=last + 1, action=action, actor=user, actor_name=name, unit=petition.unit,
        at=clock.now(), from_state=from_state, to_state=petition.state, note=note, data=data or {},
    )
    outbox.emit("petition.changed", petition.code, {
        "code": petition.code, "action": action, "state": petition.state, "previous_state": from_state,
        "state_label": both_languages(State(petition.state).label), "title": petition.title,
        "category": petition.category, "unit": petition.unit.agency_code,
        "dossier": petition.dossier.code if petition.dossier_id else None,
        "petitioner_id": petition.petitioner_id, "petitioner_email": petition.petitioner_email,
        "petitioner_name": petition.petitioner_name, "lookup_key": petition.lookup_key,
        "at": event.at.isoformat(), "seq": event.seq,
    })
    return event


# --- submission ---------------------------------------------------------------------------------------------------

def check_rate(address: str) -> None:
    """Anonymous submissions per client address: MOTCUA_PETITION_RATE (limit, window in seconds), 10 an hour by
    default; 429 beyond."""
    ratelimit.enforce("petition", address, getattr(settings, "MOTCUA_PETITION_RATE", (10, 3600)),
                      _("Too many petitions from your address: try again later."),
                      FieldError("title", "rate_limit", _("Too many petitions from this address.")))


@transaction.atomic
def submit(user: User | None, data: NewPetition) -> Petition:
    """Send a petition: logged in (name and contact from the account) or anonymous (name and a contact required).
    The unit: the dossier's receiving unit, else the unit named, else the root unit (the ministry)."""
    errors: list[FieldError] = []
    title = _text(data.title, "title", errors, required=True, limit=300)
    content = _text(data.content, "content", errors, required=True)
    if data.kind not in Kind.values:
        errors.append(FieldError("kind", "choice", _("Choose feedback or complaint.")))
    if user is not None and user.is_applicant:
        name, email, phone = user.display_name, user.email, user.phone
    else:
        user = None  # staff file petitions only as anonymous people would (no account link)
        name = _text(data.name, "name", errors, required=True, limit=255)
        email = _text(data.email, "email", errors, limit=254)
        phone = _text(data.phone, "phone", errors, limit=20)
        if not email and not phone:
            errors.append(FieldError("email", "contact_required", _("Give an e-mail address or a phone number.")))
        elif email and ("@" not in email or " " in email):
            errors.append(FieldError("email", "format", _("Not an e-mail address.")))
    procedure = dossier = unit = None
    if data.procedure:
        procedure = Procedure.objects.filter(code=str(data.procedure).strip()).first()
        if procedure is None:
            errors.append(FieldError("procedure", "exists", _("No procedure has this code.")))
    if data.dossier:
        dossier = Dossier.objects.select_related("receiving_unit", "procedure").filter(
            code=str(data.dossier).strip()).first()
        if dossier is None:
            errors.append(FieldError("dossier", "exists", _("No dossier has this code.")))
        else:
            unit, procedure = dossier.receiving_unit, procedure or dossier.procedure
    if unit is None and data.unit:
        unit = Unit.objects.filter(agency_code=str(data.unit).strip(), is_active=True).first()
        if unit is None:
            errors.append(FieldError("unit", "exists", _("No unit has this agency code.")))
    unit = unit or _root_unit()
    if unit is None:
        errors.append(FieldError("unit", "required", _("Name the unit the petition is for.")))
    if errors:
        raise ValidationFailed(_("The petition is not valid."), errors)
    now = clock.now()
    petition = Petition(
        code=f"tmp-{uuid.uuid4()}", lookup_key=new_lookup_key(), kind=data.kind, title=title, content=content,
        procedure=procedure, dossier=dossier, petitioner=user, petitioner_name=name, petitioner_email=email,
        petitioner_phone=phone, unit=unit, state=State.RECEIVED, sent_at=now, updated_at=now,
    )
    _start_clock(petition, now)
    petition.save()
    # The code carries the day and the row number: unique without a sequence table.
    petition.code = f"PAKN-{timezone.localtime(now):%y%m%d}-{petition.pk:06d}"
    petition.save(update_fields=["code"])
    record(petition, "submit", user, "", first=True)
    return petition


# --- officers' actions --------------------------------------------------------------------------------------------

Run = Callable[[Petition, User, dict[str, Any], datetime, list[FieldError]], tuple[str, dict[str, Any]]]


def _on_time(at: datetime, due: datetime | None) -> bool:
    return due is None or at <= due


def _officer(value: Any, unit: Unit, errors: list[FieldError]) -> User | None:
    username = _text(value, "officer", errors, limit=150)
    if not username:
        return None
    officer = User.objects.filter(username=username, is_active=True).first()
    if officer is None or not RoleAssignment.objects.filter(user=officer, unit=unit, role__in=OFFICER_ROLES).exists():
        errors.append(FieldError("officer", "of_unit", _("Name an officer of the handling unit (username).")))
        return None
    return officer


def _move(petition: Petition, payload: dict[str, Any], now: datetime, errors: list[FieldError]) -> dict[str, Any]:
    """Assign to another unit (a transfer: the deadlines count again from now) and/or to an officer."""
    data: dict[str, Any] = {}
    code = _text(payload.get("unit"), "unit", errors, limit=20)
    target = petition.unit
    if code and code != petition.unit.agency_code:
        target = Unit.objects.filter(agency_code=code, is_active=True).first()
        if target is None:
            errors.append(FieldError("unit", "exists", _("Name an active unit by its agency code.")))
            return data
    officer = _officer(payload.get("officer"), target, errors)
    if errors:
        return data
    if target != petition.unit:
        data.update({"from_unit": petition.unit.agency_code, "to_unit": target.agency_code})
        petition.unit = target
        petition.transfers += 1
        petition.assigned_to = None
        _start_clock(petition, now)
    if officer is not None:
        petition.assigned_to = officer
        data["officer"] = officer.username
    return data


def _classify(petition: Petition, user: User, payload: dict[str, Any], now: datetime,
              errors: list[FieldError]) -> tuple[str, dict[str, Any]]:
    category = payload.get("category")
    if category not in Category.values:
        errors.append(FieldError("category", "choice", _("Choose one of: %(choices)s.")
                                 % {"choices": ", ".join(Category.values)}))
    data = _move(petition, payload, now, errors)
    if errors:
        return "", data
    petition.category = category
    petition.classified_at = petition.classified_at or now
    if petition.state == State.RECEIVED:
        petition.state = State.HANDLING
    return _text(payload.get("note"), "note", errors), {"category": category, **data}


def _assign(petition: Petition, user: User, payload: dict[str, Any], now: datetime,
            errors: list[FieldError]) -> tuple[str, dict[str, Any]]:
    if not payload.get("unit") and not payload.get("officer"):
        errors.append(FieldError("officer", "required", _("Name a unit or an officer.")))
        return "", {}
    data = _move(petition, payload, now, errors)
    return _text(payload.get("note"), "note", errors), data


def _refuse(petition: Petition, user: User, payload: dict[str, Any], now: datetime,
            errors: list[FieldError]) -> tuple[str, dict[str, Any]]:
    reason = _text(payload.get("reason"), "reason", errors, required=True)
    if errors:
        return "", {}
    petition.state, petition.refused_at, petition.refusal_reason = State.REFUSED, now, reason
    petition.refused_on_time = _on_time(now, petition.refuse_due_at)
    return reason, {"on_time": petition.refused_on_time, "due_at": petition.refuse_due_at.isoformat()}


def _request_info(petition: Petition, user: User, payload: dict[str, Any], now: datetime,
                  errors: list[FieldError]) -> tuple[str, dict[str, Any]]:
    text = _text(payload.get("request"), "request", errors, required=True)
    if errors:
        return "", {}
    petition.state, petition.info_request = State.INFO_REQUESTED, text
    data: dict[str, Any] = {"first": petition.info_requested_at is None}
    if petition.info_requested_at is None:  # only the first request is measured (index-766.md 5.2)
        petition.info_requested_at = now
        petition.info_on_time = _on_time(now, petition.info_due_at)
        data.update({"on_time": petition.info_on_time, "due_at": petition.info_due_at.isoformat()})
    return text, data


def _answer(petition: Petition, user: User, payload: dict[str, Any], now: datetime,
            errors: list[FieldError]) -> tuple[str, dict[str, Any]]:
    text = _text(payload.get("answer"), "answer", errors, required=True, limit=20000)
    if errors:
        return "", {}
    petition.state, petition.answer, petition.answered_at = State.ANSWERED, text, now
    petition.answered_on_time = _on_time(now, petition.answer_due_at)
    petition.publish_due_at = calendar_for(petition.unit).add_working_days(now, deadline_days("publish"))
    return "", {"on_time": petition.answered_on_time, "due_at": petition.answer_due_at.isoformat(),
                "publish_due_at": petition.publish_due_at.isoformat()}


def _publish(petition: Petition, user: User, payload: dict[str, Any], now: datetime,
             errors: list[FieldError]) -> tuple[str, dict[str, Any]]:
    petition.state, petition.published_at = State.PUBLISHED, now
    petition.published_on_time = _on_time(now, petition.publish_due_at)
    return _text(payload.get("note"), "note", errors), {"on_time": petition.published_on_time}


@dataclass(frozen=True)
class ActionSpec:
    name: str
    states: frozenset[str]
    run: Run


ACTIONS: dict[str, ActionSpec] = {spec.name: spec for spec in [
    ActionSpec("classify", frozenset({State.RECEIVED, State.HANDLING}), _classify),
    ActionSpec("assign", frozenset({State.RECEIVED, State.HANDLING, State.INFO_REQUESTED}), _assign),
    ActionSpec("refuse", frozenset({State.RECEIVED, State.HANDLING}), _refuse),
    ActionSpec("request_info", frozenset({State.HANDLING}), _request_info),
    ActionSpec("answer", frozenset({State.HANDLING}), _answer),
    ActionSpec("publish", frozenset({State.ANSWERED}), _publish),
]}


def is_officer_of(user: User, petition: Petition) -> bool:
    return user.is_staff_member and RoleAssignment.objects.filter(
        user=user, unit_id=petition.unit_id, role__in=OFFICER_ROLES).exists()


def allowed_actions(petition: Petition, user: User) -> list[str]:
    """The officer actions `user` may take on `petition` now (officers of the petition's unit)."""
    if not is_officer_of(user, petition):
        return []
    return [name for name, spec in ACTIONS.items() if petition.state in spec.states]


@transaction.atomic
def act(user: User, petition: Petition, action: str, payload: dict[str, Any]) -> Petition:
    """Perform an officer action; 403 for someone who is not an officer of the petition's unit, 409 (with the allowed
    actions) when the action is not allowed in the petition's state, 422 for bad input (nothing written)."""
    locked = Petition.objects.select_for_update(of=("self",)).select_related("unit", "dossier").get(pk=petition.pk)
    spec = ACTIONS.get(action)
    if not is_officer_of(user, locked):
        raise PermissionDenied(_("Only officers of the petition's unit act on it."), [
            FieldError("unit", "officer_of_unit", _("You hold no role in this unit.")),
        ])
    if spec is None or locked.state not in spec.states:
        allowed = allowed_actions(locked, user)
        raise Conflict(_("This action is not allowed now. Allowed: %(actions)s.")
                       % {"actions": ", ".join(allowed) or "—"},
                       [FieldError("action", "allowed", _("Not allowed in this state."))],
                       extra={"allowed_actions": allowed})
    errors: list[FieldError] = []
    now = clock.now()
    from_state = locked.state
    note, data = spec.run(locked, user, payload if isinstance(payload, dict) else {}, now, errors)
    if errors:  # raising leaves the transaction: nothing is written
        raise ValidationFailed(_("The request is not valid."), errors)
    locked.updated_at = now
    locked.save()
    record(locked, action, user, from_state, note=note, data=data)
    return locked


# --- the petitioner -----------------------------------------------------------------------------------------------

def is_petitioner(petition: Petition, user: User | None, key: str = "") -> bool:
    """The account that sent it, or whoever holds its lookup key (anonymous petitions)."""
    if user is not None and user.is_authenticated and petition.petitioner_id == user.pk:
        return True
    return bool(key) and key.strip().upper() == petition.lookup_key


def _petitioner_or_404(petition: Petition, user: User | None, key: str) -> None:
    if not is_petitioner(petition, user, key):
        raise NotFound(_("No petition of yours has this code."), [FieldError("code", "exists", _("Unknown code."))])


@transaction.atomic
def provide_info(petition: Petition, user: User | None, text: str, *, key: str = "") -> Petition:
    """The petitioner gives the information an officer asked for: the petition is handled again."""
    locked = Petition.objects.select_for_update(of=("self",)).select_related("unit", "dossier").get(pk=petition.pk)
    _petitioner_or_404(locked, user, key)
    if locked.state != State.INFO_REQUESTED:
        raise Conflict(_("No information was asked for."), [
            FieldError("state", "info_requested", _("The petition is not waiting for information.")),
        ])
    errors: list[FieldError] = []
    text = _text(text, "information", errors, required=True)
    if errors:
        raise ValidationFailed(_("The request is not valid."), errors)
    locked.state, locked.updated_at = State.HANDLING, clock.now()
    locked.save()
    record(locked, "provide_info", user if user is not None and user.is_authenticated else None,
           State.INFO_REQUESTED, note=text)
    return locked


@transaction.atomic
def rate(petition: Petition, user: User | None, satisfied: Any, *, key: str = "") -> Petition:
    """The petitioner says whether the answer satisfied them (once, after the answer)."""
    locked = Petition.objects.select_for_update(of=("self",)).select_related("unit", "dossier").get(pk=petition.pk)
    _petitioner_or_404(locked, user, key)
    errors = []
    if locked.state not in ANSWERED:
        errors.append(FieldError("state", "answered", _("A petition is rated once it is answered.")))
    if locked.satisfied is not None:
        errors.append(FieldError("satisfied", "once", _("This petition was already rated.")))
    if errors:
        raise Conflict(_("The rating is not allowed."), errors)
    if not isinstance(satisfied, bool):
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("satisfied", "type", _("Answer true (satisfied) or false (not satisfied).")),
        ])
    now = clock.now()
    locked.satisfied, locked.rated_at, locked.updated_at = satisfied, now, now
    locked.save()
    record(locked, "rate", user if user is not None and user.is_authenticated else None, locked.state,
           data={"satisfied": satisfied})
    return locked
