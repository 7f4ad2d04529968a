"""Every write to units, role assignments and delegations."""

from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from motcua.audit import services as audit
from motcua.core import clock
from motcua.core.errors import FieldError, ValidationFailed

from . import queries
from .models import (
    LEVEL_ORDER,
    CalendarException,
    CalendarExceptionKind,
    Delegation,
    Role,
    RoleAssignment,
    Unit,
    UnitLevel,
)


@transaction.atomic
def save_unit(
    *, agency_code: str, name_vi: str, level: str, parent: Unit | None = None, name_en: str = "", address: str = "",
    phone: str = "", email: str = "", province_code: str = "",
) -> Unit:
    """Create the unit with `agency_code`, or update it in place; its level must sit below its parent's."""
    errors = []
    if level not in UnitLevel.values:
        errors.append(FieldError("level", "choice", _("Unknown unit level.")))
    elif parent is not None and LEVEL_ORDER.index(UnitLevel(level)) <= LEVEL_ORDER.index(UnitLevel(parent.level)):
        errors.append(FieldError("level", "below_parent", _("A unit's level must be below its parent's level.")))
    if errors:
        raise ValidationFailed(_("The unit is not valid."), errors)
    unit, _created = Unit.objects.update_or_create(
        agency_code=agency_code,
        defaults={"name_vi": name_vi, "name_en": name_en, "level": level, "parent": parent, "address": address,
                  "phone": phone, "email": email, "province_code": province_code},
    )
    path = f"{parent.path if parent else '/'}{unit.pk}/"
    if unit.path != path:
        unit.path = path
        unit.save(update_fields=["path"])
    return unit


@transaction.atomic
def assign_role(user: object, unit: Unit, role: str) -> RoleAssignment:
    """Give `user` the role in `unit` (idempotent). Applicant accounts cannot hold staff roles."""
    if role not in Role.values:
        raise ValidationFailed(_("Unknown role."), [FieldError("role", "choice", _("Unknown role."))])
    if not getattr(user, "is_staff_member", False):
        raise ValidationFailed(
            _("Only staff accounts can hold roles."), [FieldError("user", "staff_only", _("Not a staff account."))]
        )
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, unit=unit, role=role, defaults={"created_at": clock.now()}
    )
    if created:
        audit.record("role_assigned", object_type="user", object_id=getattr(user, "pk", ""),
                     data={"unit": unit.agency_code, "role": role})
    return assignment


@transaction.atomic
def delegate_approval(
    *, delegator: object, delegate: object, unit: Unit, starts_on: date, ends_on: date, reason: str = ""
) -> Delegation:
    """A leader of `unit` lets `delegate` (staff of the same unit) approve from `starts_on` to `ends_on`."""
    errors = []
    if not RoleAssignment.objects.filter(user=delegator, unit=unit, role=Role.LEADER).exists():
        errors.append(FieldError("delegator", "leader_of_unit", _("Only a leader of the unit can delegate approval.")))
    if delegate == delegator:
        errors.append(FieldError("delegate", "not_self", _("A leader cannot delegate to themselves.")))
    elif not RoleAssignment.objects.filter(user=delegate, unit=unit).exists():
        errors.append(FieldError("delegate", "staff_of_unit", _("The deputy must be staff of the same unit.")))
    if ends_on < starts_on:
        errors.append(FieldError("ends_on", "after_start", _("The end date must not be before the start date.")))
    if errors:
        raise ValidationFailed(_("The delegation is not valid."), errors)
    delegation = Delegation.objects.create(
        unit=unit, delegator=delegator, delegate=delegate, starts_on=starts_on, ends_on=ends_on, reason=reason,
        created_at=clock.now(),
    )
    audit.record("approval_delegated", actor=delegator, object_type="delegation", object_id=delegation.pk,
                 data={"unit": unit.agency_code, "delegate": getattr(delegate, "pk", None),
                       "from": starts_on.isoformat(), "to": ends_on.isoformat()})
    return delegation


@transaction.atomic
def revoke_delegation(delegation: Delegation) -> Delegation:
    if delegation.revoked_at is None:
        delegation.revoked_at = clock.now()
        delegation.save(update_fields=["revoked_at"])
        audit.record("delegation_revoked", object_type="delegation", object_id=delegation.pk)
    return delegation


def calendar_exception_errors(*, unit: Unit | None, day: object, kind: str, reason: str) -> list[FieldError]:
    """The rules a new calendar exception must keep (used by `add_calendar_exception` and the admin form).

    One exception per unit and day; a `workday` must fall on a day the unit does not already work, a `holiday` on a
    day it is not already closed (a Sunday, an ordinary Saturday, a public holiday, a closure of a parent unit).
    "Already" means the unit's calendar as `queries.calendar_for` builds it: national calendar, global exceptions
    and those of the unit's ancestors.
    """
    errors = []
    if kind not in CalendarExceptionKind.values:
        errors.append(FieldError("kind", "choice", _("Unknown kind of calendar exception.")))
    if not (reason or "").strip():
        errors.append(FieldError("reason", "required", _("Give the reason for the calendar exception.")))
    if not isinstance(day, date) or isinstance(day, datetime):
        errors.append(FieldError("day", "date", _("The day must be a date.")))
        return errors
    if CalendarException.objects.filter(unit=unit, day=day).exists():
        errors.append(FieldError("day", "unique", _("There is already a calendar exception on this day.")))
    elif kind == CalendarExceptionKind.WORKDAY and queries.calendar_for(unit).is_working_day(day):
        errors.append(FieldError("day", "already_working_day", _("This day is already a working day.")))
    elif kind == CalendarExceptionKind.HOLIDAY and not queries.calendar_for(unit).is_working_day(day):
        errors.append(FieldError("day", "already_closed", _("This day is already a day off.")))
    return errors


@transaction.atomic
def add_calendar_exception(
    *, unit: Unit | None, day: date, kind: str, reason: str, created_by: object | None = None
) -> CalendarException:
    """Close (`holiday`) or open (`workday`) `day` for `unit` and its subtree; `unit=None`: for every unit."""
    errors = calendar_exception_errors(unit=unit, day=day, kind=kind, reason=reason)
    if errors:
        raise ValidationFailed(_("The calendar exception is not valid."), errors)
    try:
        with transaction.atomic():
            return CalendarException.objects.create(
                unit=unit, day=day, kind=kind, reason=reason.strip(), created_at=clock.now(), created_by=created_by
            )
    except IntegrityError:  # a concurrent request added the same day first
        raise ValidationFailed(
            _("The calendar exception is not valid."),
            [FieldError("day", "unique", _("There is already a calendar exception on this day."))],
        ) from None


@transaction.atomic
def remove_calendar_exception(exc: CalendarException) -> None:
    """Remove the exception: the day follows the national calendar (and the parent units' exceptions) again."""
    CalendarException.objects.filter(pk=exc.pk).delete()
