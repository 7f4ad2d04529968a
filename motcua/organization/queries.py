"""Reads about units and staff that other apps and views use."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, QuerySet

from motcua.core import clock, worktime
from motcua.core.worktime import WorkCalendar

from .models import CalendarException, CalendarExceptionKind, Delegation, Role, RoleAssignment, Unit


def subtree(unit: Unit) -> QuerySet[Unit]:
    """The unit and every unit below it."""
    return Unit.objects.filter(path__startswith=unit.path)


def roles_of(user: object) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(user=user).select_related("unit")


def has_role(user: object, role: str, unit: Unit | None = None) -> bool:
    assignments = RoleAssignment.objects.filter(user=user, role=role)
    if unit is not None:
        assignments = assignments.filter(unit=unit)
    return assignments.exists()


def can_approve(user: object, unit: Unit, on: date | None = None) -> bool:
    """A leader of `unit`, or a deputy holding a delegation of `unit` in force on the day `on` (default: today)."""
    if has_role(user, Role.LEADER, unit):
        return True
    day = on or clock.today()
    return Delegation.objects.filter(
        unit=unit, delegate=user, starts_on__lte=day, ends_on__gte=day, revoked_at__isnull=True
    ).exists()


def active_delegations_to(user: object, on: date | None = None) -> QuerySet[Delegation]:
    """Delegations of approval `user` holds on the day `on` (default: today)."""
    day = on or clock.today()
    return Delegation.objects.filter(
        delegate=user, starts_on__lte=day, ends_on__gte=day, revoked_at__isnull=True
    ).select_related("unit", "delegator")


def work_cutoff() -> time:
    """`settings.WORK_CUTOFF` ("HH:MM", default "15:00"): dossiers received later count from the next working day."""
    value = getattr(settings, "WORK_CUTOFF", "15:00")
    try:
        return worktime.parse_time(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"WORK_CUTOFF must look like '15:00', not {value!r}") from exc


def work_shifts() -> tuple[tuple[time, time], ...]:
    """`settings.WORK_SHIFTS` ("07:30-11:30,13:30-17:00" by default): the working hours of a working day."""
    value = getattr(settings, "WORK_SHIFTS", "07:30-11:30,13:30-17:00")
    try:
        shifts = worktime.parse_shifts(value)
        WorkCalendar(shifts=shifts)  # sorted, disjoint, non-empty
    except ValueError as exc:
        raise ImproperlyConfigured(f"WORK_SHIFTS must look like '07:30-11:30,13:30-17:00', not {value!r}") from exc
    return shifts


def _ancestor_ids(unit: Unit) -> list[int]:
    """Ids from the root down to `unit` itself, read from its materialized path "/1/5/12/"."""
    ids = [int(part) for part in unit.path.split("/") if part]
    if unit.pk is not None and (not ids or ids[-1] != unit.pk):
        ids.append(unit.pk)
    return ids


def calendar_for(unit: Unit | None = None) -> WorkCalendar:
    """The working calendar of `unit`: national calendar, plus the exceptions of every unit (global ones), of the
    unit's ancestors and of the unit itself; `unit=None` gives the calendar with the global exceptions only.

    When several of them name the same day, the most specific wins (the unit's own, then its parent's, ..., then the
    global one), so a commune may work on a day its province closed. Cut-off and shifts come from settings.
    """
    if unit is None:
        return _calendar([], list(CalendarException.objects.filter(unit__isnull=True).values_list(
            "unit_id", "day", "kind")))
    return calendars_for([unit])[unit.pk]


def calendars_for(units: Iterable[Unit]) -> dict[int, WorkCalendar]:
    """`calendar_for` of each unit (by id), with one query for all of them."""
    chains = {unit.pk: _ancestor_ids(unit) for unit in units}
    ids = {unit_id for chain in chains.values() for unit_id in chain}
    rows = list(CalendarException.objects.filter(Q(unit__isnull=True) | Q(unit_id__in=ids)).values_list(
        "unit_id", "day", "kind"))
    return {pk: _calendar(chain, rows) for pk, chain in chains.items()}


def _calendar(ids: list[int], rows: list[tuple[int | None, date, str]]) -> WorkCalendar:
    """The calendar of the unit whose ancestors (root first, itself last) are `ids`, from exception rows."""
    depth = {unit_id: index for index, unit_id in enumerate(ids)}
    chosen: dict[date, tuple[int, str]] = {}
    for unit_id, day, kind in rows:
        if unit_id is not None and unit_id not in depth:
            continue
        rank = -1 if unit_id is None else depth[unit_id]
        if day not in chosen or rank > chosen[day][0]:
            chosen[day] = (rank, kind)
    return WorkCalendar(
        extra_holidays=frozenset(d for d, (_rank, k) in chosen.items() if k == CalendarExceptionKind.HOLIDAY),
        extra_workdays=frozenset(d for d, (_rank, k) in chosen.items() if k == CalendarExceptionKind.WORKDAY),
        shifts=work_shifts(),
        cutoff=work_cutoff(),
    )
