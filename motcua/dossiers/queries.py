"""Reads of dossiers: who may see which, inboxes, history views, public tracking."""

from __future__ import annotations

from typing import Any, Literal, get_args

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects

from motcua.catalog.process import process_of_version
from motcua.core import clock
from motcua.documents import search
from motcua.documents.models import StoredFile
from motcua.identity.models import User
from motcua.organization.models import Delegation, RoleAssignment
from motcua.organization.queries import calendar_for

from .models import ACTIVE, PAUSED, Dossier, DossierFile, Event, Status, StepRecord

InboxName = Literal["new", "mine", "supplement", "near_due", "overdue"]
INBOXES: tuple[str, ...] = get_args(InboxName)


def _staff_scope(user: User) -> Q:
    """Dossiers in (or received by) a unit of the user's subtrees."""
    paths = list(RoleAssignment.objects.filter(user=user).values_list("unit__path", flat=True).distinct())
    scope = Q(pk__in=[])
    for path in paths:
        scope |= Q(current_unit__path__startswith=path) | Q(receiving_unit__path__startswith=path)
    return scope


def visible_to(user: User) -> QuerySet[Dossier]:
    """Applicants see their own dossiers (as owner or submitter); staff see those of their units' subtrees."""
    rows = Dossier.objects.select_related("procedure", "version", "current_unit", "receiving_unit")
    if user.is_staff_member:
        return rows.filter(_staff_scope(user))
    return rows.filter(Q(applicant=user) | Q(submitted_by=user))


def text_match(text: str, field: str = "text") -> Q:
    """Dossiers with a file whose digitized text holds every word of `text`, ignoring diacritics and case
    (documents/search.py); ValidationFailed naming `field` when `text` has no word (see `search.terms`)."""
    files = DossierFile.objects.filter(file_id__in=search.file_ids_matching(text, field))
    return Q(pk__in=files.values("dossier_id"))


def get_visible(user: User, code: str) -> Dossier | None:
    return visible_to(user).filter(code=code).first()


def inbox(user: User, name: str) -> QuerySet[Dossier]:
    """An officer's inbox: `new` (to receive), `mine` (waiting for one of my roles), `supplement`, `near_due`
    (due within one working day), `overdue`."""
    rows = visible_to(user)
    assignments = list(RoleAssignment.objects.filter(user=user).values_list("unit_id", "role"))
    today = clock.today()
    delegated = list(Delegation.objects.filter(delegate=user, starts_on__lte=today, ends_on__gte=today,
                                               revoked_at__isnull=True).values_list("unit_id", flat=True))
    if name == "new":
        units = [unit for unit, role in assignments if role == "onestop"]
        return rows.filter(status=Status.NEW, receiving_unit_id__in=units)
    if name == "mine":
        mine = Q(pk__in=[])
        for unit, role in assignments:
            mine |= Q(current_unit_id=unit, current_role=role)
        for unit in delegated:
            mine |= Q(current_unit_id=unit, current_role="leader")
        return rows.filter(mine, status__in=[Status.NEW, Status.ACCEPTED, Status.PROCESSING, Status.PROCESSED])
    if name == "supplement":
        return rows.filter(status__in=PAUSED)
    now = clock.now()
    working = rows.filter(status__in=ACTIVE - PAUSED, due_at__isnull=False)
    if name == "overdue":
        return working.filter(due_at__lt=now)
    if name == "near_due":
        calendar = calendar_for(None)
        horizon = calendar.add_working_time(now, calendar.day_length)
        return working.filter(due_at__gte=now, due_at__lte=horizon)
    raise ValueError(f"unknown inbox {name!r}; one of {', '.join(INBOXES)}")


def history(dossier: Dossier, user: User) -> QuerySet[Event]:
    """The timeline: the officer sees every event, the applicant the public ones."""
    events = dossier.events.select_related("unit").order_by("seq")
    return events if user.is_staff_member else events.filter(public=True)


# What a dossier's detail shows besides the dossier row, one query per relation: its files with their digitization,
# steps, events, results, digitized components and rating.
DETAIL_RELATIONS = (
    Prefetch("files", queryset=DossierFile.objects.select_related("file__digitization").order_by("revision", "id")),
    Prefetch("steps", queryset=StepRecord.objects.select_related("unit").order_by("started_at", "id")),
    Prefetch("events", queryset=Event.objects.select_related("unit").order_by("seq")),
    "results", "digitized_components", "rating",
)


def load_detail(dossier: Dossier) -> Dossier:
    """Read the relations of DETAIL_RELATIONS that the dossier does not hold yet (see `prime_detail`)."""
    prefetch_related_objects([dossier], *DETAIL_RELATIONS)
    return dossier


def prime_detail(dossier: Dossier, *, files: list[DossierFile], steps: list[StepRecord], events: list[Event]) -> None:
    """Give a dossier created in this request the relations its detail shows, from the rows the request wrote (a new
    dossier has no results, digitized components or rating yet), so that answering a submission reads nothing back.
    `files` hold their stored files, whose digitization records `digitization.enqueue_many` has attached."""
    for item in files:
        if not StoredFile.digitization.is_cached(item.file):
            StoredFile.digitization.related.set_cached_value(item.file, None)  # not digitizable: no record
    for name, rows in (("files", files), ("steps", steps), ("events", events), ("results", []),
                       ("digitized_components", [])):
        # What prefetch_related_objects leaves on an instance: a queryset of the relation holding its rows, which
        # later `.all()` calls return without a query and prefetch_related_objects skips as already fetched.
        cached = getattr(dossier, name).all()
        cached._result_cache, cached._prefetch_done = list(rows), True
        dossier.__dict__.setdefault("_prefetched_objects_cache", {})[name] = cached
    Dossier.rating.related.set_cached_value(dossier, None)


def visible_history(dossier: Dossier, user: User) -> list[Event]:
    """`history` from the events `load_detail` read."""
    return [e for e in dossier.events.all() if user.is_staff_member or e.public]


def track(code: str, key: str) -> Dossier | None:
    """Public tracking: the dossier only when the lookup key matches (no personal data is shown from it)."""
    if not code or not key:
        return None
    # Only the columns the public page shows (fewer columns: less SQL to build and fewer values to convert).
    return Dossier.objects.select_related("version", "procedure", "current_unit").only(*_TRACKED).filter(
        code=code, lookup_key=key.strip().upper()).order_by().first()


_TRACKED = ("code", "status", "submitted_at", "due_at", "finished_at", "procedure__code", "version__status",
            "version__name_vi", "version__name_en", "current_unit__name_vi", "current_unit__name_en")


def public_view(dossier: Dossier, lang: str) -> dict[str, Any]:
    """What anyone holding the code and key may see: no names, no form data, no notes."""
    process = process_of_version(dossier.version)
    names = {s.code: step_name(s.name.model_dump(), lang) for s in process.steps}
    steps = StepRecord.objects.filter(dossier=dossier).order_by("started_at", "id")
    events = Event.objects.filter(dossier=dossier, public=True).order_by("seq")
    return {
        "code": dossier.code, "procedure": dossier.procedure.code,
        "procedure_name": dossier.version.text("name", lang), "status": dossier.status,
        "status_label": str(Status(dossier.status).label), "unit": dossier.current_unit.name(lang),
        "submitted_at": dossier.submitted_at, "due_at": dossier.due_at, "finished_at": dossier.finished_at,
        "steps": [{"name": names.get(step, step), "started_at": started, "finished_at": finished}
                  for step, started, finished in steps.values_list("step", "started_at", "finished_at")],
        "history": [{"at": at, "status": status, "status_label": str(Status(status).label), "action": action}
                    for at, status, action in events.values_list("at", "to_status", "action")],
    }


def step_name(text: dict[str, str], lang: str) -> str:
    """A step's name in `lang`, Vietnamese when there is no English."""
    return (text.get("en") if lang == "en" else "") or text.get("vi", "")
