from datetime import date, timedelta

import pytest

from motcua.core.errors import ValidationFailed
from motcua.identity.models import AccountKind, User
from motcua.identity.services import save_staff
from motcua.organization import queries, services
from motcua.organization.models import Role

pytestmark = pytest.mark.django_db


def test_subtree_is_the_unit_and_everything_below(tree):
    codes = set(queries.subtree(tree["province"]).values_list("agency_code", flat=True))
    assert codes == {"000.00.01.H26", "000.05.00.H26", "000.05.12.H26"}
    assert queries.subtree(tree["ministry"]).count() == 6


def test_unit_level_must_be_below_parent(tree):
    with pytest.raises(ValidationFailed) as raised:
        services.save_unit(agency_code="X.1", name_vi="sai", level="district", parent=tree["commune"])
    assert [(e.field, e.rule) for e in raised.value.errors] == [("level", "below_parent")]


def test_save_unit_updates_in_place(tree):
    again = services.save_unit(agency_code="000.05.12.H26", name_vi="Ban CHQS phường Ngọc Hà", level="commune",
                               parent=tree["district"])
    assert again.pk == tree["commune"].pk
    assert again.path == tree["commune"].path


def test_roles_only_for_staff(tree):
    citizen = User.objects.create(username="c", kind=AccountKind.CITIZEN)
    with pytest.raises(ValidationFailed):
        services.assign_role(citizen, tree["commune"], Role.ONESTOP)
    officer = save_staff(username="o", full_name="Officer", email="o@x.vn", password="pw-123456")
    services.assign_role(officer, tree["commune"], Role.ONESTOP)
    services.assign_role(officer, tree["commune"], Role.ONESTOP)  # idempotent
    assert [a.role for a in queries.roles_of(officer)] == ["onestop"]


def test_delegation_gives_approval_only_within_its_dates(tree, frozen_clock):
    leader = save_staff(username="leader", full_name="Leader", email="l@x.vn", password="pw-123456")
    deputy = save_staff(username="deputy", full_name="Deputy", email="d@x.vn", password="pw-123456")
    services.assign_role(leader, tree["commune"], Role.LEADER)
    services.assign_role(deputy, tree["commune"], Role.HANDLER)
    today = date(2026, 11, 23)
    assert not queries.can_approve(deputy, tree["commune"])
    delegation = services.delegate_approval(delegator=leader, delegate=deputy, unit=tree["commune"],
                                            starts_on=today, ends_on=today + timedelta(days=2))
    assert queries.can_approve(deputy, tree["commune"])
    assert queries.can_approve(deputy, tree["commune"], on=today + timedelta(days=2))
    assert not queries.can_approve(deputy, tree["commune"], on=today + timedelta(days=3))
    assert not queries.can_approve(deputy, tree["other"])
    assert queries.can_approve(leader, tree["commune"])
    services.revoke_delegation(delegation)
    assert not queries.can_approve(deputy, tree["commune"])


def test_delegation_rules_are_all_reported(tree):
    leader = save_staff(username="leader", full_name="Leader", email="l@x.vn", password="pw-123456")
    stranger = save_staff(username="s", full_name="S", email="s@x.vn", password="pw-123456")
    with pytest.raises(ValidationFailed) as raised:
        services.delegate_approval(delegator=leader, delegate=stranger, unit=tree["commune"],
                                   starts_on=date(2026, 1, 5), ends_on=date(2026, 1, 1))
    rules = {(e.field, e.rule) for e in raised.value.errors}
    assert rules == {("delegator", "leader_of_unit"), ("delegate", "staff_of_unit"), ("ends_on", "after_start")}
