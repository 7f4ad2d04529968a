"""Every write to units, role assignments and delegations."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import FieldError, ValidationFailed

from .models import LEVEL_ORDER, Delegation, Role, RoleAssignment, Unit, UnitLevel


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
    assignment, _created = RoleAssignment.objects.get_or_create(
        user=user, unit=unit, role=role, defaults={"created_at": clock.now()}
    )
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
    return Delegation.objects.create(
        unit=unit, delegator=delegator, delegate=delegate, starts_on=starts_on, ends_on=ends_on, reason=reason,
        created_at=clock.now(),
    )


@transaction.atomic
def revoke_delegation(delegation: Delegation) -> Delegation:
    if delegation.revoked_at is None:
        delegation.revoked_at = clock.now()
        delegation.save(update_fields=["revoked_at"])
    return delegation
