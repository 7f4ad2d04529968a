"""Every write to a dossier: submission and the actions of its status machine.

Each action runs in one transaction that changes the dossier, appends a history event and emits an outbox event.
The rules of who may do what, when, are in `actions.py`; this module does the work.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.catalog import queries as catalog_queries
from motcua.catalog.models import ProcedureVersion
from motcua.catalog.process import Process, Step, process_of_version
from motcua.core import clock
from motcua.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed, both_languages
from motcua.documents import digitization, warehouse
from motcua.documents import queries as document_queries
from motcua.documents.models import AccessPurpose
from motcua.identity import services as identity_services
from motcua.identity.models import IdentityMethod, User
from motcua.integrations import outbox
from motcua.organization.models import LEVEL_ORDER, Unit, UnitLevel
from motcua.organization.queries import calendar_for, has_role

from . import codes, queries, rules
from .models import FINISHED, Channel, DigitizedComponent, Dossier, DossierFile, Event, Pause, Status, StepRecord


@dataclass
class Submission:
    procedure: str
    form: dict[str, Any]
    components: list[dict[str, Any]] = field(default_factory=list)
    unit: str | None = None
    owner: dict[str, Any] | None = None
    channel: int = Channel.ONLINE
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Actor:
    """Who performs an action: a user in a role, or the system (automatic steps, imports)."""

    user: User | None
    role: str

    @property
    def name(self) -> str:
        return self.user.display_name if self.user else "Hệ thống / System"


SYSTEM = Actor(None, "system")


def process_for(dossier: Dossier) -> Process:
    """The process definition of the version the dossier started with."""
    return process_of_version(dossier.version)


# --- submission ---------------------------------------------------------------------------------------------------

def _request_hash(data: Submission) -> str:
    body = {"procedure": data.procedure, "form": data.form, "components": data.components, "unit": data.unit,
            "owner": data.owner, "channel": data.channel}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def submit(user: User, data: Submission) -> tuple[Dossier, bool]:
    """File a dossier (status 1, code assigned). Returns (dossier, created); a retried request with the same
    Idempotency-Key returns the dossier of the first request with created=False."""
    request_hash = _request_hash(data)
    if data.idempotency_key:
        # Nearly always a new key: ask for the id alone (a narrow query), and read the dossier only for a retry.
        retried = Dossier.objects.filter(submitted_by=user, idempotency_key=data.idempotency_key).values_list(
            "pk", flat=True).first()
        if retried is not None:
            return _same_request(Dossier.objects.get(pk=retried), request_hash), False
    # The population registry is asked before the transaction (a slow registry must not hold the dossier locks).
    if data.owner is None and user.is_applicant:
        identity_services.verify_identity(user)
    try:
        return _submit(user, data, request_hash), True
    except IntegrityError:
        # A concurrent request with the same key won the race: answer with its dossier.
        existing = Dossier.objects.filter(submitted_by=user, idempotency_key=data.idempotency_key).first()
        if data.idempotency_key and existing is not None:
            return _same_request(existing, request_hash), False
        raise


def _same_request(existing: Dossier, request_hash: str) -> Dossier:
    if existing.request_hash != request_hash:
        raise Conflict(_("This Idempotency-Key was used for a different request."), [
            FieldError("Idempotency-Key", "reused", _("Use a new key for a new dossier.")),
        ])
    return existing


@transaction.atomic
def _submit(user: User, data: Submission, request_hash: str) -> Dossier:
    errors: list[FieldError] = []
    procedure = catalog_queries.procedure_in_force(data.procedure)
    if procedure is None:
        raise ValidationFailed(_("The dossier is not valid."), [
            FieldError("procedure", "published", _("No procedure in force has this code.")),
        ])
    version: ProcedureVersion = procedure.current_version
    if data.channel not in Channel.values:
        errors.append(FieldError("channel", "choice", _("The channel must be 1 (in person), 2 (online) or 3 (post).")))
    elif data.channel == Channel.ONLINE and version.online_level == "none":
        errors.append(FieldError("channel", "online", _("This procedure is not offered online.")))
    owner, applicant = _owner(user, data, errors)
    unit = _receiving_unit(user, data, version, applicant, errors)
    errors += rules.form_errors(version, data.form)
    files = _component_files(user, version, data.components, errors)
    if errors:
        raise ValidationFailed(_("The dossier is not valid."), errors)
    now = clock.now()
    day = timezone.localtime(now).date()
    first = process_of_version(version).first
    dossier = Dossier.objects.create(
        code=codes.dossier_code(unit, day, codes.next_number(unit, day)), lookup_key=codes.new_lookup_key(),
        procedure=procedure, version=version, applicant=applicant, submitted_by=user, owner=owner,
        owner_id_number=owner.get("id_number", ""), owner_name=owner.get("name", ""), channel=data.channel,
        **_identity(applicant), receiving_unit=unit, current_unit=unit, status=Status.NEW, form_data=data.form,
        submitted_at=now, updated_at=now, idempotency_key=data.idempotency_key or None, request_hash=request_hash,
        current_step=first.code, current_role=first.role,
    )
    attached = _attach(dossier, files, now, user)
    # Reception has no deadline of its own: the clock starts at acceptance.
    step = StepRecord.objects.create(dossier=dossier, step=first.code, unit=unit, started_at=now)
    role = "onestop" if data.channel == Channel.IN_PERSON and user.is_staff_member else "applicant"
    event = record(dossier, "submit", Actor(user, role), None, note="", first=True)
    if first.automatic:
        run_automatic(dossier)
    else:  # nothing else happened to it: what the answer shows is what was just written
        queries.prime_detail(dossier, files=attached, steps=[step], events=[event])
    return dossier


def _identity(applicant: User | None) -> dict[str, Any]:
    """The dossier's record of the applicant's verified identity: that of the applicant's account (verified by the
    population registry or the national identity provider), else not verified."""
    if applicant is None or not applicant.identity_verified:
        return {"identity_verified": False, "identity_method": IdentityMethod.NONE, "identity_verified_at": None}
    return {"identity_verified": True, "identity_method": applicant.identity_method,
            "identity_verified_at": applicant.identity_verified_at}


def _owner(user: User, data: Submission, errors: list[FieldError]) -> tuple[dict[str, Any], User | None]:
    """The owner's details and account. Applicants submit for themselves unless `owner` names someone else (a
    representative); officers at the desk and by post always name the owner."""
    if data.owner is None:
        if not user.is_applicant:
            errors.append(FieldError("owner", "required", _("Name the applicant the dossier is for.")))
            return {}, None
        return _owner_of(user), user
    owner = data.owner
    id_number = str(owner.get("id_number", "")).strip()
    name = str(owner.get("name", "")).strip()
    if not name:
        errors.append(FieldError("owner.name", "required", _("The owner's name is required.")))
    if not id_number:
        errors.append(FieldError("owner.id_number", "required",
                                 _("The owner's identity number or tax code is required.")))
    account = User.objects.filter(national_id=id_number).first() or User.objects.filter(tax_code=id_number).first()
    clean = {key: str(owner.get(key, "")).strip() for key in ("name", "id_number", "address", "phone", "email")}
    return clean, (account if id_number else None)


def _owner_of(user: User) -> dict[str, Any]:
    return {"name": user.display_name, "id_number": user.national_id or user.tax_code or "",
            "address": user.address, "phone": user.phone, "email": user.email}


def _receiving_unit(user: User, data: Submission, version: ProcedureVersion, applicant: User | None,
                    errors: list[FieldError]) -> Unit:
    levels = set(version.levels)
    if data.unit:
        unit = Unit.objects.filter(agency_code=data.unit, is_active=True).first()
        if unit is None:
            errors.append(FieldError("unit", "exists", _("No unit has this agency code.")))
        elif unit.level not in levels:
            errors.append(FieldError("unit", "level", _("This unit does not handle this procedure (wrong level).")))
    else:
        unit = _serving_unit(applicant.home_unit if applicant else None, levels)
        if user.is_staff_member and data.channel != Channel.ONLINE:
            unit = unit or next((a.unit for a in user.role_assignments.filter(role="onestop")
                                 .select_related("unit") if a.unit.level in levels), None)
        if unit is None:
            errors.append(FieldError("unit", "required", _("Choose the unit to submit to: none serves your address.")))
    if unit is not None and user.is_staff_member and data.channel == Channel.IN_PERSON \
            and not has_role(user, "onestop", unit):
        # Not a flaw of the input but of who sends it: refused (403) before anything else is checked.
        raise PermissionDenied(_("Only a one-stop officer of the unit receives at its desk."), [
            FieldError("unit", "onestop_of_unit", _("Only a one-stop officer of the unit receives at its desk."))])
    return unit  # type: ignore[return-value]


def _serving_unit(home: Unit | None, levels: set[str]) -> Unit | None:
    """The unit of one of `levels` that serves an address in `home`: home itself or its nearest ancestor."""
    unit = home
    while unit is not None:
        if unit.level in levels:
            return unit
        unit = unit.parent
    if home is None or not levels:
        return None
    # A ministry-level procedure for someone whose commune has no ministry ancestor in the tree: the root unit.
    top = min(levels, key=lambda level: LEVEL_ORDER.index(UnitLevel(level)))
    return Unit.objects.filter(level=top, parent__isnull=True, is_active=True).first()


def _component_files(user: User, version: ProcedureVersion, given: list[dict[str, Any]],
                     errors: list[FieldError]) -> list[tuple[str, Any, Any]]:
    """(component code, stored file, warehouse document reused or None) triples, checking ownership, accepted types
    and required components. A component is given files (`files`, ids of the user's uploads) and/or documents of the
    user's warehouse (`warehouse_documents`, still valid, of a type the component accepts)."""
    specs = {c.code: c for c in version.components.all()}
    wellformed: list[tuple[int, str, list[Any], list[Any]]] = []
    for index, item in enumerate(given):
        if not isinstance(item, dict) or item.get("code") not in specs:
            errors.append(FieldError(f"components[{index}].code", "exists", _("The procedure has no such component.")))
            continue
        lists = []
        for key in ("files", "warehouse_documents"):
            value = item.get(key) or []
            if not isinstance(value, list):
                errors.append(FieldError(f"components[{index}].{key}", "type", _("Give a list of ids.")))
                value = []
            lists.append(value)
        wellformed.append((index, item["code"], *lists))
    owned = document_queries.files_by_ids(user, [str(f) for _i, _code, files, _docs in wellformed for f in files])
    reused_given = [(f"components[{index}].warehouse_documents[{d_index}]", code, doc_id)
                    for index, code, _files, docs in wellformed for d_index, doc_id in enumerate(docs)]
    reused = warehouse.reusable(user, [doc_id for _w, _c, doc_id in reused_given],
                                {code: list(spec.accepted_document_types) for code, spec in specs.items()},
                                reused_given, errors) if reused_given else {}
    triples: list[tuple[str, Any, Any]] = []
    for index, code, files, docs in wellformed:
        accepted = specs[code].accepted_content_types
        for f_index, file_id in enumerate(files):
            stored = owned.get(str(file_id))
            where = f"components[{index}].files[{f_index}]"
            if stored is None:
                errors.append(FieldError(where, "exists", _("No file of yours has this id: upload it first.")))
            elif accepted and stored.content_type not in accepted:
                errors.append(FieldError(where, "content_type", _("This component does not accept this type of file.")))
            else:
                triples.append((code, stored, None))
        for doc_id in docs:
            document = reused.get(str(doc_id))
            if document is not None:
                triples.append((code, document.file, document))
    given_codes = {code for code, _file, _doc in triples}
    for spec in specs.values():
        if spec.required and spec.code not in given_codes:
            errors.append(FieldError(f"components.{spec.code}", "required", _("This component is required.")))
    return triples


def _attach(dossier: Dossier, files: list[tuple[str, Any, Any]], now: datetime,
            user: User | None) -> list[DossierFile]:
    """Attach (component code, stored file, reused warehouse document or None) to the dossier's current revision:
    the new scans and images among them are queued for digitization, each reuse is logged as reused by `user`.
    Returns the attachments."""
    attached = DossierFile.objects.bulk_create(
        DossierFile(dossier=dossier, component_code=code, revision=dossier.revision, file=stored,
                    reused_from=reused, created_at=now)
        for code, stored, reused in files
    )
    # A reused warehouse document is digitized already (or born electronic): only new scans and images are queued.
    digitization.enqueue_many(stored for _code, stored, reused in files if reused is None)
    for reused in {doc.pk: doc for _code, _stored, doc in files if doc is not None}.values():
        warehouse.record_access(reused, user, AccessPurpose.REUSE, dossier.code)
    return attached


# --- history and outbox -------------------------------------------------------------------------------------------

def record(dossier: Dossier, action: str, actor: Actor, from_status: int | None, *, note: str = "",
           data: dict[str, Any] | None = None, from_step: str = "", public: bool = True, first: bool = False) -> Event:
    """Append the history event of an action and emit its outbox event, in the caller's transaction.

    `first`: the dossier was created in this transaction, so this is its event number 1 (no need to look)."""
    last = 0 if first else (
        Event.objects.filter(dossier=dossier).order_by("-seq").values_list("seq", flat=True).first() or 0)
    event = Event.objects.create(
        dossier=dossier, seq=last + 1, action=action, actor=actor.user, actor_name=actor.name, actor_role=actor.role,
        unit=dossier.current_unit, at=clock.now(), from_status=from_status, to_status=dossier.status,
        from_step=from_step, to_step=dossier.current_step, note=note, data=data or {}, public=public,
    )
    changed = from_status != dossier.status
    outbox.emit("dossier.status_changed" if changed else "dossier.updated", dossier.code, {
        "code": dossier.code, "status": dossier.status, "status_label": both_languages(Status(dossier.status).label),
        "previous_status": from_status, "action": action, "procedure_code": dossier.procedure.code,
        "procedure_name": {"vi": dossier.version.name_vi, "en": dossier.version.name_en},
        "applicant_id": dossier.applicant_id, "applicant_email": dossier.owner.get("email", "")
        or (dossier.applicant.email if dossier.applicant else ""), "applicant_name": dossier.owner_name,
        "lookup_key": dossier.lookup_key, "due_at": dossier.due_at.isoformat() if dossier.due_at else None,
        "note": note if public else "", "at": event.at.isoformat(), "unit": dossier.current_unit.agency_code,
        "channel": dossier.channel, "seq": event.seq,
    })
    return event


# --- steps, deadlines, pauses -------------------------------------------------------------------------------------

def _enter_step(dossier: Dossier, step: Step | None, now: datetime) -> None:
    """Move the dossier into `step` (None: the process ended), with the step's own deadline."""
    StepRecord.objects.filter(dossier=dossier, finished_at__isnull=True).update(finished_at=now)
    if step is None:
        dossier.current_step, dossier.current_role, dossier.step_due_at = "", "", None
        return
    dossier.current_step, dossier.current_role = step.code, step.role
    dossier.step_due_at = _step_due(dossier, step, now)
    StepRecord.objects.create(dossier=dossier, step=step.code, unit=dossier.current_unit, started_at=now,
                              due_at=dossier.step_due_at)


def _step_due(dossier: Dossier, step: Step, now: datetime) -> datetime | None:
    if dossier.due_at is None or dossier.accepted_at is None:
        return None
    calendar = calendar_for(dossier.receiving_unit)
    total = calendar.working_time_between(calendar.start_of_counting(dossier.accepted_at), dossier.due_at)
    return min(calendar.add_working_time(now, total * step.share), dossier.due_at)


def _pause(dossier: Dossier, kind: str, now: datetime) -> None:
    dossier.resume_status = dossier.status
    dossier.paused_since = now
    Pause.objects.create(dossier=dossier, kind=kind, started_at=now)


def _resume(dossier: Dossier, now: datetime) -> timedelta:
    """End the pause: the clock moves the due dates on by the working time spent waiting for the applicant."""
    Pause.objects.filter(dossier=dossier, ended_at__isnull=True).update(ended_at=now)
    waited = timedelta(0)
    if dossier.due_at is not None and dossier.paused_since is not None:
        calendar = calendar_for(dossier.receiving_unit)
        waited = calendar.working_time_between(dossier.paused_since, now)
        dossier.due_at = calendar.add_working_time(dossier.due_at, waited)
        if dossier.step_due_at is not None:
            dossier.step_due_at = calendar.add_working_time(dossier.step_due_at, waited)
            StepRecord.objects.filter(dossier=dossier, finished_at__isnull=True).update(due_at=dossier.step_due_at)
    dossier.status = dossier.resume_status or Status.PROCESSING
    dossier.resume_status, dossier.paused_since = None, None
    return waited


def _finish(dossier: Dossier, status: int, outcome: str, now: datetime) -> None:
    """Processing ends (decision, refusal, withdrawal, stop): on time or late against the due date."""
    if dossier.is_paused:
        _resume(dossier, now)
    dossier.status = status
    dossier.outcome = outcome
    dossier.finished_at = now
    dossier.late = dossier.due_at is not None and now > dossier.due_at


def apology_limit() -> int:
    return int(getattr(settings, "MOTCUA_APOLOGY_LIMIT", 1))


def run_automatic(dossier: Dossier) -> None:
    """Let automatic steps act: check their rules on the form and registry, and perform on_pass / on_fail."""
    from .actions import perform

    for _round in range(20):  # a definition is acyclic unless it says otherwise; never loop forever
        step = process_for(dossier).step(dossier.current_step)
        if step is None or not step.automatic or dossier.status in FINISHED - {Status.PROCESSED}:
            return
        context = {"owner_identity_matches": bool(dossier.applicant) and dossier.owner_id_number in
                   {dossier.applicant.national_id, dossier.applicant.tax_code}}
        passed = all(rules.rule_passes(rule, dossier.form_data, context) for rule in step.rules)
        outcome = step.on_pass if passed else step.on_fail
        if outcome is None:
            return  # rules failed and no fallback: officers take over in this step
        payload = {"note": outcome.note or ("Tự động: đạt điều kiện" if passed else "Tự động: không đạt điều kiện")}
        if outcome.next:
            payload["next_step"] = outcome.next
        perform(dossier, SYSTEM, outcome.action, payload)


@transaction.atomic
def rate(dossier: Dossier, user: User, *, score: int, comment: str = "", not_satisfied: bool = False) -> Any:
    """The applicant rates the service once the dossier is finished (1-5, comment, "not satisfied" flag)."""
    from .actions import is_party
    from .models import Rating

    errors = []
    if not is_party(dossier, user):
        raise NotFound(_("No dossier of yours has this code."), [FieldError("code", "exists", _("Unknown code."))])
    if dossier.status not in FINISHED:
        errors.append(FieldError("status", "finished", _("A dossier is rated once it is finished.")))
    if Rating.objects.filter(dossier=dossier).exists():
        errors.append(FieldError("rating", "once", _("This dossier was already rated.")))
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        errors.append(FieldError("score", "range", _("The score is a whole number from 1 to 5.")))
    if len(comment) > 2000:
        errors.append(FieldError("comment", "max_length", _("Too long.")))
    if errors:
        raise Conflict(_("The rating is not allowed."), errors) if any(
            e.rule in ("finished", "once") for e in errors) else ValidationFailed(_("The rating is not valid."), errors)
    rating = Rating.objects.create(dossier=dossier, score=score, comment=comment.strip(),
                                   not_satisfied=bool(not_satisfied), created_at=clock.now())
    outbox.emit("dossier.rated", dossier.code, {"code": dossier.code, "score": score,
                                                "not_satisfied": rating.not_satisfied,
                                                "unit": dossier.receiving_unit.agency_code})
    return rating


# --- desk scanning --------------------------------------------------------------------------------------------------

def _scans(user: User, dossier: Dossier, given: Any, errors: list[FieldError]) -> list[tuple[str, list[Any], bool]]:
    """(component code, the officer's scanned files, mark digitized) per well-formed item of `given`."""
    if not isinstance(given, list) or not given:
        errors.append(FieldError("components", "required", _("List the components scanned or to mark digitized.")))
        return []
    codes = {c.code for c in dossier.version.components.all()}
    ids = [str(f) for item in given if isinstance(item, dict) and isinstance(item.get("files"), list)
           for f in item["files"]]
    owned = document_queries.files_by_ids(user, ids)
    already = set(dossier.files.values_list("component_code", flat=True))
    items = []
    for index, item in enumerate(given):
        where = f"components[{index}]"
        if not isinstance(item, dict) or item.get("code") not in codes:
            errors.append(FieldError(f"{where}.code", "exists", _("The procedure has no such component.")))
            continue
        files, mark = item.get("files") or [], item.get("digitized", True)
        if not isinstance(files, list) or not isinstance(mark, bool):
            errors.append(FieldError(where, "type", _("Give `files` as a list of file ids and `digitized` as "
                                                      "true or false.")))
            continue
        found = []
        for f_index, file_id in enumerate(files):
            stored = owned.get(str(file_id))
            if stored is None:
                errors.append(FieldError(f"{where}.files[{f_index}]", "exists",
                                         _("No file of yours has this id: upload the scan first.")))
            elif not digitization.digitizable(stored):
                errors.append(FieldError(f"{where}.files[{f_index}]", "content_type",
                                         _("A scan is a PDF or a JPEG, PNG or TIFF image.")))
            else:
                found.append(stored)
        if not files and not mark:
            errors.append(FieldError(f"{where}.files", "required", _("Give the scanned pages, or mark the component "
                                                                     "digitized.")))
        elif mark and not files and item["code"] not in already:
            errors.append(FieldError(f"{where}.files", "required",
                                     _("The component has no file yet: scan its pages first.")))
        items.append((item["code"], found, mark))
    return items


@transaction.atomic
def digitize(user: User, dossier: Dossier, components: Any) -> Dossier:
    """Desk scanning: attach the pages a one-stop officer of the receiving unit scanned for components of the dossier
    (queued for OCR) and mark components digitized; one history event. 403 for anyone else, 422 naming the field."""
    locked = Dossier.objects.select_for_update(of=("self",)).select_related(
        "version", "procedure", "current_unit", "receiving_unit", "applicant").get(pk=dossier.pk)
    if not user.is_staff_member or not has_role(user, "onestop", locked.receiving_unit):
        raise PermissionDenied(_("Only a one-stop officer of the receiving unit digitizes its dossiers."), [
            FieldError("role", "onestop_of_unit", _("Only a one-stop officer of the receiving unit."))])
    errors: list[FieldError] = []
    items = _scans(user, locked, components, errors)
    if errors:
        raise ValidationFailed(_("The digitization is not valid."), errors)
    now = clock.now()
    _attach(locked, [(code, stored, None) for code, files, _mark in items for stored in files], now, user)
    for code, _files, mark in items:
        if mark:
            DigitizedComponent.objects.get_or_create(dossier=locked, component_code=code, defaults={
                "digitized_by": user, "digitized_at": now})
    locked.updated_at = now
    locked.save(update_fields=["updated_at"])
    record(locked, "digitize", Actor(user, "onestop"), locked.status, public=False, data={"scans": [
        {"code": code, "files": [str(f.pk) for f in files], "digitized": mark} for code, files, mark in items]})
    dossier.refresh_from_db()
    return dossier
