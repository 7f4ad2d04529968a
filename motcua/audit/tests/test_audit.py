"""The audit log: security events are recorded by the services, the chain detects a changed or deleted row."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection

from motcua.audit import services
from motcua.audit.models import AuditEntry
from motcua.audit.verification import verify
from motcua.identity import services as identity
from motcua.identity.services import CitizenSignup, LoginFailed

PASSWORD = "Hoa-sen-2024!"


@pytest.fixture
def citizen(db: None):
    return identity.register_citizen(CitizenSignup(
        national_id="001209012345", full_name="Nguyễn Văn An", birth_date=date(2009, 3, 15), sex="male",
        phone="0912 345 678", email="an.nguyen@example.vn", address="12 Đội Cấn, Ba Đình, Hà Nội", password=PASSWORD,
    ))


def test_logins_failures_and_lockout_are_recorded_in_order(citizen, settings) -> None:
    settings.LOGIN_MAX_FAILURES = 2
    identity.login(None, "001209012345", PASSWORD)
    for _ in range(2):
        with pytest.raises(LoginFailed):
            identity.login(None, "001209012345", "wrong")
    actions = list(AuditEntry.objects.values_list("action", "object_id"))
    assert actions == [("login", str(citizen.pk)), ("login_failed", str(citizen.pk)),
                       ("login_failed", str(citizen.pk)), ("account_locked", str(citizen.pk))]
    assert verify() == (4, [])


def test_admin_changes_and_role_assignments_are_recorded(admin_client, db) -> None:
    from motcua.identity.services import save_staff
    from motcua.organization.services import assign_role, save_unit

    unit = save_unit(agency_code="A01", name_vi="Cục A", name_en="Department A", level="department")
    officer = save_staff(username="canbo", full_name="Cán bộ A", email="a@example.vn", password="x-Pass-2024!")
    assign_role(officer, unit, "onestop")
    assign_role(officer, unit, "onestop")  # idempotent: recorded once
    assert list(AuditEntry.objects.filter(action="role_assigned").values_list("object_id", "data")) == [
        (str(officer.pk), {"unit": "A01", "role": "onestop"})]
    response = admin_client.post("/admin/auth/group/add/", {"name": "Kiểm tra"})
    assert response.status_code == 302
    group = Group.objects.get(name="Kiểm tra")
    entry = AuditEntry.objects.get(action="admin_add")
    assert (entry.object_type, entry.object_id, entry.actor_label) == ("group", str(group.pk), "admin")
    assert verify()[1] == []


def _tamper(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize("tampering", ["change", "delete_middle", "delete_tail", "change_and_rehash"])
def test_audit_verify_finds_a_changed_or_deleted_row(db, tampering: str) -> None:
    for n in range(5):
        services.record("login", object_type="user", object_id=n, ip="10.0.0.1", data={"n": n})
    call_command("audit_verify")  # intact: no error
    table = AuditEntry._meta.db_table
    if tampering == "change":
        _tamper(f"UPDATE {table} SET ip = %s WHERE seq = 3", ["10.6.6.6"])
        expected = {"changed"}
    elif tampering == "delete_middle":
        _tamper(f"DELETE FROM {table} WHERE seq = 3", [])
        expected = {"missing", "broken_link"}
    elif tampering == "delete_tail":
        _tamper(f"DELETE FROM {table} WHERE seq = 5", [])
        expected = {"head"}
    else:  # an attacker who recomputes the changed row's own hash still breaks the link to the next row
        entry = AuditEntry.objects.get(seq=2)
        entry.object_id = "999"
        entry.hash = services.entry_hash(entry.prev_hash, services.chained_fields(entry))
        _tamper(f"UPDATE {table} SET object_id = %s, hash = %s WHERE seq = 2", ["999", entry.hash])
        expected = {"broken_link"}
    count, problems = verify()
    assert {p.rule for p in problems} == expected
    with pytest.raises(CommandError, match="problem"):
        call_command("audit_verify")
