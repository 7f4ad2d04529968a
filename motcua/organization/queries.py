"""Reads about units and staff that other apps and views use."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from motcua.core import clock

from .models import Delegation, Role, RoleAssignment, Unit


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
