"""Bottleneck and early-warning reports (queries only: nothing here writes).

Dwell time: a dossier's history (`Event`, append-only) says when it entered each step of its process and in which
unit (`to_step`, `unit`). A *pass* through a step in a unit lasts from the event that brought the dossier there to the
next event that moved it to another step or unit (a transfer keeps the step but changes the unit). Its dwell time is
the working time of the unit's calendar in between, minus the time waiting for the applicant (from an event into a
paused status, 5 or 6, to the event out of it). Per step and unit: the number of passes that ended in the period, their
median and 90th percentile (linear interpolation between closest ranks, as `numpy.percentile`'s default).

Early warning: an active dossier (accepted or being processed, not paused, not yet late) is *at risk* when its
working time left before the due date is less than what the process plans for the rest of its journey: the rest of
the current step's own deadline plus, for every later step (following the first next step of each), its share of the
time limit; or less than `MOTCUA_AT_RISK_HOURS` working hours. Each comes with a draft apology: a proposed new date
(the day the planned work would end, at least the working day after the due date) and a reason.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from motcua.catalog.process import Process, process_of_version
from motcua.core import clock
from motcua.core.errors import FieldError, PermissionDenied, ValidationFailed
from motcua.core.worktime import WorkCalendar
from motcua.identity.models import User
from motcua.organization.models import Role, RoleAssignment, Unit
from motcua.organization.queries import calendar_for

from .models import ACTIVE, PAUSED, Dossier, Event, Status, StepRecord
from .queries import step_name

REPORT_ROLES = (Role.LEADER, Role.INDEX_VIEWER, Role.SYSADMIN)
_HOUR = timedelta(hours=1)


# --- who may read the reports -------------------------------------------------------------------------------------

def report_units(user: User) -> list[Unit]:
    """Units where `user` reads reports (leaders, index viewers, system administrators), highest first."""
    if not user.is_staff_member:
        return []
    ids = RoleAssignment.objects.filter(user=user, role__in=REPORT_ROLES).values_list("unit_id", flat=True)
    return list(Unit.objects.filter(pk__in=ids).order_by("path"))


def may_view(user: User, unit: Unit) -> bool:
    """Whether `unit` lies in the subtree of a unit where `user` reads reports."""
    return any(unit.path.startswith(top.path) for top in report_units(user))


def report_unit(user: User, code: str) -> Unit:
    """The unit a report is about: `code`, or the caller's highest report unit; 403 outside the caller's units."""
    mine = report_units(user)
    if not mine:
        raise PermissionDenied(_lazy("Reports are for leaders and index viewers."), [
            FieldError("role", "report_role", _lazy("You hold no leader or index viewer role.")),
        ])
    if not code:
        return mine[0]
    unit = Unit.objects.filter(agency_code=code).first()
    if unit is None:
        raise ValidationFailed(_lazy("The request is not valid."), [
            FieldError("unit", "exists", _lazy("No unit has this agency code.")),
        ])
    if not may_view(user, unit):
        raise PermissionDenied(_lazy("This unit is outside your units."), [
            FieldError("unit", "in_scope", _lazy("Choose one of your units or a unit under them.")),
        ])
    return unit


def period(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or clock.today()
    start = start or end - timedelta(days=30)
    if start > end:
        raise ValidationFailed(_lazy("The request is not valid."), [
            FieldError("from", "before_to", _lazy("The first day must not be after the last day.")),
        ])
    return start, end


def apology_url(code: str, new_due: date, reason: str) -> str:
    """The back-office workspace of the dossier with its apology form open and pre-filled."""
    query = urlencode({"draft": "apology", "new_due_at": new_due.isoformat(), "reason": reason})
    return f"{reverse('backoffice:dossier', args=[code])}?{query}#action-apology"


def with_drafts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**item, "apology_draft": {"new_due_at": item["proposed_due"], "reason": item["reason"],
                                       "url": apology_url(item["code"], item["proposed_due"], item["reason"])}}
            for item in items]



def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of `values` by linear interpolation between closest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _hours(delta: timedelta) -> float:
    return round(delta / _HOUR, 2)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (timezone.make_aware(datetime.combine(start, time.min)),
            timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)))


class _Calendars(dict[int, WorkCalendar]):
    """Unit calendars, read once per report."""

    def __missing__(self, unit_id: int) -> WorkCalendar:
        calendar = self[unit_id] = calendar_for(Unit.objects.get(pk=unit_id))
        return calendar


@dataclass
class Pass:
    """One pass of a dossier through a step in a unit, from the history."""

    dossier_id: int
    step: str
    unit_id: int
    started_at: datetime
    ended_at: datetime
    pauses: list[tuple[datetime, datetime]]


def passes(events: list[dict[str, Any]]) -> list[Pass]:
    """Finished passes from one dossier's events (dicts with dossier_id, at, unit_id, to_step, from_status,
    to_status), in `seq` order."""
    out: list[Pass] = []
    current: tuple[str, int] | None = None
    since: datetime | None = None
    pauses: list[tuple[datetime, datetime]] = []
    paused_at: datetime | None = None
    for e in events:
        at = e["at"]
        if paused_at is not None and e["to_status"] not in PAUSED:
            pauses.append((paused_at, at))
            paused_at = None
        if paused_at is None and e["to_status"] in PAUSED:
            paused_at = at
        key = (e["to_step"], e["unit_id"]) if e["to_step"] else None
        if key == current:
            continue
        if current is not None and since is not None:
            out.append(Pass(e["dossier_id"], current[0], current[1], since, at,
                            [(a, b) for a, b in pauses if b > since and a < at]))
        current, since = key, at
    return out


def _step_names(version_ids: set[int], lang: str) -> dict[str, str]:
    from motcua.catalog.models import ProcedureVersion

    names: dict[str, str] = {}
    for version in ProcedureVersion.objects.filter(pk__in=version_ids):
        for step in process_of_version(version).steps:
            names.setdefault(step.code, step_name(step.name.model_dump(), lang))
    return names


def dwell_times(unit: Unit, start: date, end: date, lang: str = "vi") -> list[dict[str, Any]]:
    """Per step and unit of `unit`'s subtree: passes that ended in the period, with the median and 90th percentile
    of their dwell time in working hours; slowest (by p90) first."""
    first, after = _bounds(start, end)
    in_tree = Event.objects.filter(unit__path__startswith=unit.path, at__gte=first, at__lt=after)
    dossier_ids = set(in_tree.values_list("dossier_id", flat=True).distinct())
    rows = (Event.objects.filter(dossier_id__in=dossier_ids, at__lt=after).order_by("dossier_id", "seq")
            .values("dossier_id", "at", "unit_id", "to_step", "from_status", "to_status"))
    by_dossier: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_dossier[row["dossier_id"]].append(row)
    units = {u.pk: u for u in Unit.objects.filter(path__startswith=unit.path)}
    calendars = _Calendars()
    groups: dict[tuple[str, int], list[float]] = defaultdict(list)
    for events in by_dossier.values():
        for item in passes(events):
            if item.unit_id in units and first <= item.ended_at < after:
                worked = calendars[item.unit_id].working_time_between(item.started_at, item.ended_at, item.pauses)
                groups[(item.step, item.unit_id)].append(worked / _HOUR)
    versions = set(Dossier.objects.filter(pk__in=dossier_ids).values_list("version_id", flat=True).distinct())
    names = _step_names(versions, lang)
    out = [{"step": step, "step_name": names.get(step, step), "unit": units[unit_id].agency_code,
            "unit_name": units[unit_id].name(lang), "passes": len(values),
            "median_hours": round(percentile(values, 50), 2), "p90_hours": round(percentile(values, 90), 2)}
           for (step, unit_id), values in groups.items()]
    return sorted(out, key=lambda row: (-row["p90_hours"], row["step"], row["unit"]))


def _active_in(unit: Unit) -> Any:
    return Dossier.objects.filter(current_unit__path__startswith=unit.path, status__in=ACTIVE - PAUSED)


def waiting_longest(unit: Unit, limit: int = 20, lang: str = "vi") -> list[dict[str, Any]]:
    """Active dossiers of the subtree that have been longest in their current step (working hours so far)."""
    now = clock.now()
    open_steps = (StepRecord.objects.filter(finished_at__isnull=True, dossier__in=_active_in(unit))
                  .select_related("dossier", "dossier__version", "unit").order_by("started_at", "id")[: limit * 2])
    calendars = _Calendars()
    rows = []
    for record in open_steps:
        dossier = record.dossier
        names = {s.code: step_name(s.name.model_dump(), lang) for s in process_of_version(dossier.version).steps}
        waited = calendars[record.unit_id].working_time_between(record.started_at, now)
        rows.append({"code": dossier.code, "step": record.step, "step_name": names.get(record.step, record.step),
                     "unit": record.unit.agency_code, "since": record.started_at, "waiting_hours": _hours(waited),
                     "due_at": dossier.due_at})
    return sorted(rows, key=lambda row: -row["waiting_hours"])[:limit]


def overdue_units(unit: Unit, limit: int = 10, lang: str = "vi") -> list[dict[str, Any]]:
    """Units of the subtree with the most active dossiers past their due date (paused ones excluded)."""
    rows = (_active_in(unit).filter(due_at__lt=clock.now()).values("current_unit_id")
            .annotate(n=Count("pk")).order_by("-n", "current_unit_id")[:limit])
    units = Unit.objects.in_bulk([row["current_unit_id"] for row in rows])
    return [{"unit": units[row["current_unit_id"]].agency_code, "unit_name": units[row["current_unit_id"]].name(lang),
             "overdue": row["n"]} for row in rows]


def bottlenecks(unit: Unit, start: date, end: date, lang: str = "vi") -> dict[str, Any]:
    return {"unit": unit.agency_code, "from": start, "to": end, "steps": dwell_times(unit, start, end, lang),
            "waiting": waiting_longest(unit, lang=lang), "overdue_units": overdue_units(unit, lang=lang)}


# --- early warning ------------------------------------------------------------------------------------------------

def at_risk_hours() -> float:
    return float(getattr(settings, "MOTCUA_AT_RISK_HOURS", 8))


def later_steps(process: Process, current: str) -> list[str]:
    """The steps after `current` on the main path: each step's first action that leads on, until the end."""
    out: list[str] = []
    seen = {current}
    step = process.step(current)
    while step is not None:
        target = next((t for action in step.actions for t in step.next_steps(action) if t and t not in seen), None)
        if target is None:
            break
        out.append(target)
        seen.add(target)
        step = process.step(target)
    return out


def _planned(dossier: Dossier, calendar: WorkCalendar, now: datetime) -> tuple[timedelta, timedelta]:
    """(working time left before the due date, working time the process plans for the rest of the journey)."""
    left = calendar.working_time_between(now, dossier.due_at)
    total = calendar.working_time_between(calendar.start_of_counting(dossier.accepted_at), dossier.due_at)
    process = process_of_version(dossier.version)
    shares = sum(process.step(code).share for code in later_steps(process, dossier.current_step))
    current = (calendar.working_time_between(now, dossier.step_due_at)
               if dossier.step_due_at is not None and dossier.step_due_at > now else timedelta(0))
    return left, current + total * shares


def at_risk(unit: Unit, lang: str = "vi", limit: int = 200) -> list[dict[str, Any]]:
    """Active dossiers of the subtree not yet late but at risk (module docstring), least time left first, each with
    its apology draft (`proposed_due`: a date; `reason`). Bounded: the `limit` × 5 active dossiers due soonest are
    examined, and at most `limit` listed."""
    now = clock.now()
    threshold = timedelta(hours=at_risk_hours())
    rows = (_active_in(unit).filter(Q(status__in=[Status.ACCEPTED, Status.PROCESSING]), due_at__gt=now,
                                    accepted_at__isnull=False)
            .select_related("version", "procedure", "current_unit", "receiving_unit").order_by("due_at", "pk"))
    calendars = _Calendars()
    out = []
    for dossier in rows[: limit * 5]:
        calendar = calendars[dossier.receiving_unit_id]
        left, planned = _planned(dossier, calendar, now)
        if left >= planned and left >= threshold:
            continue
        names = {s.code: step_name(s.name.model_dump(), lang) for s in process_of_version(dossier.version).steps}
        step = names.get(dossier.current_step, dossier.current_step)
        end = timezone.localtime(calendar.add_working_time(now, max(planned, threshold))).date()
        due_day = timezone.localtime(dossier.due_at).date()
        proposed = end if end > due_day else calendar.next_working_day(due_day)
        out.append({
            "code": dossier.code, "procedure": dossier.procedure.code,
            "procedure_name": dossier.version.text("name", lang),
            "owner_name": dossier.owner_name, "step": dossier.current_step, "step_name": step,
            "unit": dossier.current_unit.agency_code, "due_at": dossier.due_at, "left_hours": _hours(left),
            "planned_hours": _hours(planned), "proposed_due": proposed,
            "reason": _("Processing at the step “%(step)s” needs more time than is left before the due date.")
            % {"step": step},
        })
        if len(out) >= limit:
            break
    return sorted(out, key=lambda row: row["left_hours"])
