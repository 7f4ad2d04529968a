"""Dossiers over the API: submit, list (mine / my unit's inboxes), read, act, rate; public tracking."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Body, Field, Header, Query, Router, Schema
from ninja import Status as Reply

from motcua.catalog.process import process_of_version
from motcua.core import ratelimit
from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import FieldError, NotFound, ValidationFailed, active_language
from motcua.documents import queries as document_queries
from motcua.documents.downloads import derived_or_404, file_response
from motcua.documents.models import StoredFile
from motcua.documents.schemas import DigitizationOut
from motcua.identity.api import AUTH

from . import actions, queries, services
from .models import Dossier, Status

router = Router(tags=["dossiers"])


class ComponentIn(Schema):
    code: str = Field(..., max_length=50)
    files: list[str] = Field(default_factory=list, max_length=50)
    warehouse_documents: list[str] = Field(
        default_factory=list, max_length=50,
        description="Ids of still-valid documents of your warehouse to reuse instead of an upload "
                    "(`GET /api/v1/warehouse/offers?procedure=CODE` lists them per component).")


class OwnerIn(Schema):
    name: str = Field(..., max_length=255)
    id_number: str = Field(..., max_length=20)
    address: str = Field("", max_length=500)
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)


class SubmitIn(Schema):
    procedure: str = Field(..., max_length=30)
    form: dict[str, Any]
    components: list[ComponentIn] = Field(default_factory=list, max_length=100)
    unit: str | None = Field(None, max_length=20, description="Agency code; default: the unit serving the owner.")
    owner: OwnerIn | None = Field(None, description="The owner, when submitting for someone else.")
    channel: Literal[1, 2, 3] = 2


class DossierFileOut(Schema):
    id: str
    name: str
    content_type: str
    size: int
    revision: int
    digitization: DigitizationOut | None = Field(
        None, description="OCR into a searchable PDF/A copy (`.../files/{id}/archive`, `.../thumbnail`); null for "
                          "files never digitized.")
    reused_from: str | None = Field(None, description="The warehouse document reused for it, if any.")


class DossierComponentOut(Schema):
    code: str
    files: list[DossierFileOut]
    digitized: bool = Field(False, description="Marked digitized by the one-stop officer (desk scanning).")


class ScanIn(Schema):
    code: str = Field(..., max_length=50, description="Component code.")
    files: list[str] = Field(default_factory=list, max_length=200,
                             description="Ids of the scanned pages uploaded with `POST /api/v1/files` (PDF, JPEG, "
                                         "PNG or TIFF).")
    digitized: bool = Field(True, description="Mark the component digitized.")


class DigitizeIn(Schema):
    components: list[ScanIn] = Field(..., max_length=100)


class StepOut(Schema):
    step: str
    name: str
    unit: str
    started_at: datetime
    due_at: datetime | None
    finished_at: datetime | None


class EventOut(Schema):
    seq: int
    action: str
    at: datetime
    actor: str
    role: str
    unit: str | None
    from_status: int | None
    to_status: int
    step: str
    note: str
    data: dict[str, Any]


class RatingOut(Schema):
    score: int
    comment: str
    not_satisfied: bool
    created_at: datetime


class DossierSummary(Schema):
    code: str
    status: int
    status_label: str
    procedure: str
    procedure_name: str
    owner_name: str
    receiving_unit: str
    current_unit: str
    current_step: str
    submitted_at: datetime
    due_at: datetime | None
    late: bool | None


class DossierOut(DossierSummary):
    lookup_key: str
    channel: int
    version: int
    current_step_name: str
    accepted_at: datetime | None
    step_due_at: datetime | None
    finished_at: datetime | None
    returned_at: datetime | None
    outcome: str
    supplement_requests: int
    apologies: int
    form: dict[str, Any]
    owner: dict[str, Any]
    identity_verified: bool = Field(description="The applicant's identity was verified at submission.")
    identity_method: str = Field(description="How: `registry` (population registry), `oidc` (national identity "
                                             "provider) or `none`.")
    identity_verified_at: datetime | None
    components: list[DossierComponentOut]
    steps: list[StepOut]
    history: list[EventOut]
    allowed_actions: list[str]
    rating: RatingOut | None
    results: list[str] = Field(default_factory=list, description="Codes of the dossier's electronic results "
                                                                 "(`GET /api/v1/results/{code}`).")


class DossierPage(Schema):
    items: list[DossierSummary]
    next: str | None


class ListFilters(Schema):
    status: int | None = Field(None, ge=1, le=10)
    role_inbox: queries.InboxName | None = None
    text: str = Field("", max_length=200, description="Words in the dossier's documents (OCR text), all of them, "
                                                   "ignoring diacritics and case.")
    limit: int = Field(20, ge=1, le=100)
    cursor: str = Field("", max_length=20, description="The `next` value of the previous page.")


class RatingIn(Schema):
    score: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=2000)
    not_satisfied: bool = False


class TrackStep(Schema):
    name: str
    started_at: datetime
    finished_at: datetime | None


class TrackOut(Schema):
    code: str
    procedure: str
    procedure_name: str
    status: int
    status_label: str
    unit: str
    submitted_at: datetime
    due_at: datetime | None
    finished_at: datetime | None
    steps: list[TrackStep]
    history: list[dict[str, Any]]


def summary(dossier: Dossier, lang: str) -> dict[str, Any]:
    return {
        "code": dossier.code, "status": dossier.status, "status_label": str(Status(dossier.status).label),
        "procedure": dossier.procedure.code, "procedure_name": dossier.version.text("name", lang),
        "owner_name": dossier.owner_name, "receiving_unit": dossier.receiving_unit.agency_code,
        "current_unit": dossier.current_unit.agency_code, "current_step": dossier.current_step,
        "submitted_at": dossier.submitted_at, "due_at": dossier.due_at, "late": dossier.late,
    }


def detail(dossier: Dossier, user: Any) -> dict[str, Any]:
    lang = active_language()
    process = process_of_version(dossier.version)
    step_names = {s.code: queries.step_name(s.name.model_dump(), lang) for s in process.steps}
    queries.load_detail(dossier)
    components: dict[str, list[dict[str, Any]]] = {}
    for item in dossier.files.all():
        components.setdefault(item.component_code, []).append({
            "id": str(item.file.id), "name": item.file.original_name, "content_type": item.file.content_type,
            "size": item.file.size, "revision": item.revision,
            "digitization": document_queries.digitization_info(getattr(item.file, "digitization", None)),
            "reused_from": str(item.reused_from_id) if item.reused_from_id else None})
    digitized = {row.component_code for row in dossier.digitized_components.all()}
    for code in digitized - set(components):
        components[code] = []
    rating = getattr(dossier, "rating", None)  # the reverse one-to-one raises an AttributeError when absent
    return {
        **summary(dossier, lang),
        "lookup_key": dossier.lookup_key, "channel": dossier.channel, "version": dossier.version.number,
        "current_step_name": step_names.get(dossier.current_step, ""), "accepted_at": dossier.accepted_at,
        "step_due_at": dossier.step_due_at, "finished_at": dossier.finished_at, "returned_at": dossier.returned_at,
        "outcome": dossier.outcome, "supplement_requests": dossier.supplement_requests,
        "apologies": dossier.apologies, "form": dossier.form_data, "owner": dossier.owner,
        "identity_verified": dossier.identity_verified, "identity_method": dossier.identity_method,
        "identity_verified_at": dossier.identity_verified_at,
        "components": [{"code": code, "files": files, "digitized": code in digitized}
                       for code, files in components.items()],
        "steps": [{"step": s.step, "name": step_names.get(s.step, s.step), "unit": s.unit.agency_code,
                   "started_at": s.started_at, "due_at": s.due_at, "finished_at": s.finished_at}
                  for s in dossier.steps.all()],
        "history": [{"seq": e.seq, "action": e.action, "at": e.at, "actor": e.actor_name, "role": e.actor_role,
                     "unit": e.unit.agency_code if e.unit else None, "from_status": e.from_status,
                     "to_status": e.to_status, "step": e.to_step, "note": e.note, "data": e.data}
                    for e in queries.visible_history(dossier, user)],
        "allowed_actions": actions.allowed_actions(dossier, user),
        "rating": {"score": rating.score, "comment": rating.comment, "not_satisfied": rating.not_satisfied,
                   "created_at": rating.created_at} if rating else None,
        "results": [r.code for r in sorted(dossier.results.all(), key=lambda r: r.number)],
    }


def _visible_or_404(request: HttpRequest, code: str) -> Dossier:
    dossier = queries.get_visible(request.auth, code)
    if dossier is None:
        raise NotFound(_("No dossier of yours has this code."), [FieldError("code", "exists", _("Unknown code."))])
    return dossier


@router.post("/dossiers", auth=AUTH, response={201: DossierOut, 200: DossierOut, 401: ErrorOut, 403: ErrorOut,
                                                409: ErrorOut, **ERRORS},
             summary="Submit a dossier (status 1, code assigned)",
             description="Send an `Idempotency-Key` header: a retried request answers 200 with the dossier the "
                         "first request created, and never creates a second one.")
def submit(request: HttpRequest, payload: SubmitIn,
           idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=100)) -> Any:
    data = services.Submission(
        procedure=payload.procedure, form=payload.form,
        components=[c.model_dump() for c in payload.components], unit=payload.unit,
        owner=payload.owner.model_dump() if payload.owner else None, channel=payload.channel,
        idempotency_key=idempotency_key,
    )
    dossier, created = services.submit(request.auth, data)
    return Reply(201 if created else 200, detail(dossier, request.auth))


@router.get("/dossiers", auth=AUTH, response={200: DossierPage, 401: ErrorOut, **ERRORS},
            summary="My dossiers (applicants) or my units' dossiers and inboxes (officers)")
def list_dossiers(request: HttpRequest, filters: Query[ListFilters]) -> dict[str, Any]:
    user = request.auth
    if filters.role_inbox and not user.is_staff_member:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("role_inbox", "staff_only", _("Inboxes are for officers.")),
        ])
    rows = queries.inbox(user, filters.role_inbox) if filters.role_inbox else queries.visible_to(user)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.text.strip():
        rows = rows.filter(queries.text_match(filters.text))
    if filters.cursor:
        if not filters.cursor.isdigit():
            raise ValidationFailed(_("The request is not valid."), [
                FieldError("cursor", "cursor", _("Not a cursor from a previous page: use the `next` value as is.")),
            ])
        rows = rows.filter(pk__lt=int(filters.cursor))
    page = list(rows.order_by("-pk")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    lang = active_language()
    return {"items": [summary(d, lang) for d in page], "next": str(page[-1].pk) if more and page else None}


@router.get("/dossiers/{code}", auth=AUTH, response={200: DossierOut, 401: ErrorOut, 404: ErrorOut},
            summary="A dossier with its steps, history and the actions the caller may take now")
def get_dossier(request: HttpRequest, code: str) -> dict[str, Any]:
    return detail(_visible_or_404(request, code), request.auth)


@router.post("/dossiers/{code}/actions/{action}", auth=AUTH,
             response={200: DossierOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="Act on a dossier",
             description="Actions: " + ", ".join(actions.SPECS) + ". An action not allowed now answers 409 "
                         "naming the allowed ones. Body: notes and the action's own fields "
                         "(items, reasons, reason, next_step, unit, amount_vnd, new_due_at, method, form, components).")
def act(request: HttpRequest, code: str, action: str, payload: dict[str, Any] = Body(default_factory=dict)) -> Any:
    dossier = _visible_or_404(request, code)
    dossier = actions.act(request.auth, dossier, action, payload)
    return detail(dossier, request.auth)


@router.get("/dossiers/{code}/files/{file_id}", auth=AUTH, response={401: ErrorOut, 404: ErrorOut, **ERRORS},
            summary="Download a file of a dossier (whoever may see the dossier: its applicant, its officers)")
def dossier_file(request: HttpRequest, code: str, file_id: UUID) -> Any:
    return file_response(_attached_or_404(request, code, file_id))


def _attached_or_404(request: HttpRequest, code: str, file_id: UUID) -> StoredFile:
    dossier = _visible_or_404(request, code)
    attached = dossier.files.select_related("file").filter(file_id=file_id).first()
    if attached is None:
        raise NotFound(_("The dossier has no such file."), [FieldError("file_id", "exists", _("Unknown file."))])
    return attached.file


def _derived_operation(kind: str, summary: str) -> Any:
    content = {"archive": "application/pdf", "thumbnail": "image/png"}[kind]
    return router.get(f"/dossiers/{{code}}/files/{{file_id}}/{kind}", auth=AUTH,
                      response={401: ErrorOut, 404: ErrorOut, **ERRORS}, summary=summary,
                      openapi_extra={"responses": {200: {"description": f"The {kind} as an attachment.",
                                                         "content": {content: {"schema": {
                                                             "type": "string", "format": "binary"}}}}}})


@_derived_operation("archive", "A file of a dossier: its searchable PDF/A copy, once digitized")
def dossier_file_archive(request: HttpRequest, code: str, file_id: UUID) -> Any:
    return file_response(derived_or_404(_attached_or_404(request, code, file_id), "archive"))


@_derived_operation("thumbnail", "A file of a dossier: a PNG of its first page, once digitized")
def dossier_file_thumbnail(request: HttpRequest, code: str, file_id: UUID) -> Any:
    return file_response(derived_or_404(_attached_or_404(request, code, file_id), "thumbnail"))


@router.post("/dossiers/{code}/digitize", auth=AUTH,
             response={200: DossierOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, **ERRORS},
             summary="Desk scanning: attach scanned pages per component and mark components digitized",
             description="For one-stop officers of the receiving unit (403 for anyone else). Upload each scan with "
                         "`POST /api/v1/files` first, then name the files per component; they are queued for OCR "
                         "and the components marked digitized (`digitized`: true, the default). One history event "
                         "(`digitize`) per call. 422 names the field: `components[i].code` (`exists`), "
                         "`components[i].files[j]` (`exists`, `content_type`), `components[i].files` (`required`).")
def digitize(request: HttpRequest, code: str, payload: DigitizeIn) -> Any:
    dossier = _visible_or_404(request, code)
    dossier = services.digitize(request.auth, dossier, [c.model_dump() for c in payload.components])
    return detail(dossier, request.auth)


@router.post("/dossiers/{code}/rating", auth=AUTH,
             response={201: RatingOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="Rate the service of a finished dossier (applicant, once)")
def rate(request: HttpRequest, code: str, payload: RatingIn) -> Any:
    dossier = _visible_or_404(request, code)
    rating = services.rate(dossier, request.auth, score=payload.score, comment=payload.comment,
                           not_satisfied=payload.not_satisfied)
    return Reply(201, rating)


@router.get("/track/{code}", auth=None, response={200: TrackOut, 404: ErrorOut, 429: ErrorOut, **ERRORS},
            summary="Public tracking by code and lookup key (no personal data; rate-limited)")
def track(request: HttpRequest, response: HttpResponse, code: str,
          key: str = Query(..., min_length=1, max_length=12)) -> dict[str, Any]:
    ratelimit.enforce("track", request.META.get("REMOTE_ADDR", ""), getattr(settings, "MOTCUA_TRACK_RATE", (60, 60)),
                      _("Too many tracking requests: wait a minute."),
                      FieldError("key", "rate_limit", _("Too many requests from this address.")))
    dossier = queries.track(code, key)
    if dossier is None:
        raise NotFound(_("No dossier has this code and lookup key."), [
            FieldError("key", "match", _("Check the code and the key on your receipt.")),
        ])
    return queries.public_view(dossier, active_language())
