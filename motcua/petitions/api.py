"""Petitions over the API: send one (logged in with a bearer token, or anonymous with a name and a contact), list
mine or my units' inboxes, read one, act on it by name, record satisfaction; published answers are public.

Anonymous petitioners get the petition's `lookup_key` in the answer to their submission and send it as `key` to
read their petition, give the information asked for (`provide_info`) and say whether they are satisfied.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Body, Field, Query, Router, Schema
from ninja import Status as Reply

from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from motcua.core.paging import keyset_page
from motcua.identity.api import AUTH, bearer_user
from motcua.identity.models import User

from . import queries, services
from .models import Kind, Petition, State

router = Router(tags=["petitions"])


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class PetitionIn(Schema):
    title: str = Field(..., max_length=300)
    content: str = Field(..., max_length=4000)
    kind: str = Field(Kind.FEEDBACK, description="feedback or complaint", max_length=20)
    procedure: str = Field("", max_length=30, description="Procedure code the petition is about.")
    dossier: str = Field("", max_length=40, description="Dossier code the petition is about: sent to its unit.")
    unit: str = Field("", max_length=20, description="Agency code of the unit; default: the dossier's, else the root.")
    name: str = Field("", max_length=255, description="Anonymous petitions: the petitioner's name (required).")
    email: str = Field("", max_length=254, description="Anonymous petitions: e-mail or phone is required.")
    phone: str = Field("", max_length=20)


class PetitionEventOut(Schema):
    seq: int
    action: str
    at: datetime
    actor: str
    from_state: str
    to_state: str
    note: str
    data: dict[str, Any]


class PublicPetitionOut(Schema):
    """What anyone sees of a published petition: no name, no contact."""

    code: str
    kind: str
    title: str
    content: str
    category: str
    procedure: str | None
    unit: str
    unit_name: str
    state: str
    state_label: str
    sent_at: datetime
    answer: str
    answered_at: datetime | None
    published_at: datetime | None


class PetitionOut(PublicPetitionOut):
    lookup_key: str
    dossier: str | None
    petitioner_name: str
    petitioner_email: str
    petitioner_phone: str
    assigned_to: str | None
    transfers: int
    refuse_due_at: datetime
    info_due_at: datetime
    answer_due_at: datetime
    publish_due_at: datetime | None
    refused_at: datetime | None
    refused_on_time: bool | None
    refusal_reason: str
    info_requested_at: datetime | None
    info_on_time: bool | None
    info_request: str
    answered_on_time: bool | None
    published_on_time: bool | None
    satisfied: bool | None
    allowed_actions: list[str]
    history: list[PetitionEventOut]


class PetitionPage(Schema):
    items: list[PublicPetitionOut]
    next: str | None


class PetitionListFilters(Schema):
    inbox: queries.InboxName | None = Field(None, description="Officers: new, mine, near_due, overdue.")
    state: State | None = None
    limit: int = Field(20, ge=1, le=100)
    cursor: str = Field("", max_length=20, description="The `next` value of the previous page.")


class KeyIn(Schema):
    key: str = Field("", max_length=12, description="The lookup key (anonymous petitioners).")


class SatisfactionIn(KeyIn):
    satisfied: bool


def public_view(p: Petition, lang: str = "vi") -> dict[str, Any]:
    return {
        "code": p.code, "kind": p.kind, "title": p.title, "content": p.content, "category": p.category,
        "procedure": p.procedure.code if p.procedure_id else None, "unit": p.unit.agency_code,
        "unit_name": p.unit.name(lang), "state": p.state, "state_label": str(State(p.state).label),
        "sent_at": p.sent_at, "answer": p.answer if p.state == State.PUBLISHED else "",
        "answered_at": p.answered_at if p.state == State.PUBLISHED else None, "published_at": p.published_at,
    }


def full_view(p: Petition, user: User | None, lang: str = "vi") -> dict[str, Any]:
    return {
        **public_view(p, lang), "answer": p.answer, "answered_at": p.answered_at, "lookup_key": p.lookup_key,
        "dossier": p.dossier.code if p.dossier_id else None, "petitioner_name": p.petitioner_name,
        "petitioner_email": p.petitioner_email, "petitioner_phone": p.petitioner_phone,
        "assigned_to": p.assigned_to.username if p.assigned_to_id else None, "transfers": p.transfers,
        "refuse_due_at": p.refuse_due_at, "info_due_at": p.info_due_at, "answer_due_at": p.answer_due_at,
        "publish_due_at": p.publish_due_at, "refused_at": p.refused_at, "refused_on_time": p.refused_on_time,
        "refusal_reason": p.refusal_reason, "info_requested_at": p.info_requested_at, "info_on_time": p.info_on_time,
        "info_request": p.info_request, "answered_on_time": p.answered_on_time,
        "published_on_time": p.published_on_time, "satisfied": p.satisfied,
        "allowed_actions": services.allowed_actions(p, user) if user is not None else [],
        "history": [{"seq": e.seq, "action": e.action, "at": e.at, "actor": e.actor_name,
                     "from_state": e.from_state, "to_state": e.to_state, "note": e.note, "data": e.data}
                    for e in queries.history(p)],
    }


def _caller(request: HttpRequest) -> User | None:
    """The bearer token's account, None without an Authorization header; 401 for a bad token."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    user = bearer_user(request)
    if user is None:
        raise Unauthorized(_("Authentication required: send a valid bearer token."),
                           [FieldError("Authorization", "bearer_token", _("Missing, expired or revoked token."))])
    return user


def _readable(user: User | None, code: str, key: str) -> tuple[Petition, bool]:
    petition, full = queries.get_for(user, code, key)
    if petition is None:
        raise NotFound(_("No petition of yours has this code."), [FieldError("code", "exists", _("Unknown code."))])
    return petition, full


@router.post("/petitions", auth=None, response={201: PetitionOut, 401: ErrorOut, 429: ErrorOut, **ERRORS},
             summary="Send a petition (phản ánh, kiến nghị) about a procedure or a dossier",
             description="With a bearer token, the name and contact come from the account; without one, `name` and "
                         "an `email` or `phone` are required (and anonymous submissions are rate-limited per "
                         "address: 429). The answer carries the `lookup_key`.")
def create(request: HttpRequest, payload: PetitionIn) -> Any:
    user = _caller(request)
    if user is None:
        services.check_rate(request.META.get("REMOTE_ADDR", ""))
    petition = services.submit(user, services.NewPetition(**payload.model_dump()))
    return Reply(201, full_view(petition, user))


def _page(rows: Any, filters: Any) -> dict[str, Any]:
    if filters.cursor and not filters.cursor.isdigit():
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("cursor", "cursor", _("Not a cursor from a previous page: use the `next` value as is.")),
        ])
    page, cursor = keyset_page(rows, filters.cursor, filters.limit)
    return {"items": [public_view(p) for p in page], "next": cursor or None}


@router.get("/petitions", auth=AUTH, response={200: PetitionPage, 401: ErrorOut, **ERRORS},
            summary="My petitions (petitioners) or my units' petitions and inboxes (officers)")
def list_petitions(request: HttpRequest, filters: Query[PetitionListFilters]) -> dict[str, Any]:
    user = request.auth
    if filters.inbox and not user.is_staff_member:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("inbox", "staff_only", _("Inboxes are for officers.")),
        ])
    rows = queries.inbox(user, filters.inbox) if filters.inbox else queries.visible_to(user)
    if filters.state:
        rows = rows.filter(state=filters.state)
    return _page(rows, filters)


class PublishedFilters(Schema):
    limit: int = Field(20, ge=1, le=100)
    cursor: str = Field("", max_length=20)


@router.get("/petitions/published", auth=None, response={200: PetitionPage, **ERRORS},
            summary="Published answers (public)")
def list_published(request: HttpRequest, filters: Query[PublishedFilters]) -> dict[str, Any]:
    return _page(queries.published(), filters)


@router.get("/petitions/{code}", auth=None, response={200: PetitionOut, 401: ErrorOut, 404: ErrorOut, **ERRORS},
            summary="One petition: in full for its petitioner (account or `key`) and its officers; a published one "
                    "to anyone (public fields, the rest empty)")
def get_petition(request: HttpRequest, code: str, key: str = Query("", max_length=12)) -> Any:
    user = _caller(request)
    petition, full = _readable(user, code, key)
    if full:
        return full_view(petition, user)
    return _public_as_full(petition)


def _public_as_full(petition: Petition) -> dict[str, Any]:
    """The public fields in the full shape, the personal and internal ones empty."""
    public = PublicPetitionOut.model_fields
    empty: dict[str, Any] = {name: None for name in PetitionOut.model_fields if name not in public}
    empty.update({"lookup_key": "", "petitioner_name": "", "petitioner_email": "", "petitioner_phone": "",
                  "transfers": 0, "refusal_reason": "", "info_request": "", "allowed_actions": [], "history": [],
                  "refuse_due_at": petition.refuse_due_at, "info_due_at": petition.info_due_at,
                  "answer_due_at": petition.answer_due_at})
    return {**empty, **public_view(petition)}


@router.post("/petitions/{code}/actions/{action}", auth=None,
             response={200: PetitionOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="Act on a petition",
             description="Officers of the petition's unit: " + ", ".join(services.ACTIONS) + " (body: category, unit, "
                         "officer, reason, request, answer, note). The petitioner: provide_info (body: information, "
                         "key for anonymous petitions). An action not allowed now answers 409 naming the allowed ones.")
def act(request: HttpRequest, code: str, action: str, payload: dict[str, Any] = Body(default_factory=dict)) -> Any:
    user = _caller(request)
    key = str(payload.get("key") or "")[:12] if isinstance(payload, dict) else ""
    if user is None and not key:
        raise Unauthorized(_("Authentication required: send a valid bearer token."),
                           [FieldError("Authorization", "bearer_token", _("Missing, expired or revoked token."))])
    petition, _full = _readable(user, code, key)
    if action == "provide_info":
        petition = services.provide_info(petition, user, payload.get("information"), key=key)
    elif user is None:
        raise Unauthorized(_("Authentication required: send a valid bearer token."),
                           [FieldError("Authorization", "bearer_token", _("Officers act with their token."))])
    else:
        petition = services.act(user, petition, action, payload)
    return full_view(petition, user)


@router.post("/petitions/{code}/satisfaction", auth=None,
             response={200: PetitionOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="The petitioner says whether the answer satisfied them (once)")
def satisfaction(request: HttpRequest, code: str, payload: SatisfactionIn) -> Any:
    user = _caller(request)
    petition, _full = _readable(user, code, payload.key)
    petition = services.rate(petition, user, payload.satisfied, key=payload.key)
    return full_view(petition, user)

