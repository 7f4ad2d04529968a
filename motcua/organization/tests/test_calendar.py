"""Calendar exceptions of units: the service's rules and the calendar a unit inherits."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured

from motcua.core import worktime
from motcua.core.errors import ValidationFailed
from motcua.identity.services import save_staff
from motcua.organization import queries, services
from motcua.organization.models import CalendarException

pytestmark = pytest.mark.django_db

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
TUESDAY = date(2026, 3, 10)
SATURDAY = date(2026, 3, 7)
SUNDAY = date(2026, 3, 8)


def add(unit, day, kind="holiday", reason="Đóng cửa trụ sở", **kwargs):
    return services.add_calendar_exception(unit=unit, day=day, kind=kind, reason=reason, **kwargs)


def rules(raised):
    return [(e.field, e.rule) for e in raised.value.errors]


# --- the service's rules -------------------------------------------------------------------------------------------


def test_add_records_who_and_when(tree, frozen_clock):
    officer = save_staff(username="admin1", full_name="Admin", email="a@x.vn", password="pw-123456")
    exc = add(tree["province"], TUESDAY, reason="  Bầu cử  ", created_by=officer)
    assert (exc.unit, exc.day, exc.kind, exc.reason) == (tree["province"], TUESDAY, "holiday", "Bầu cử")
    assert exc.created_at == frozen_clock.now() and exc.created_by == officer
    assert str(exc) == "2026-03-10 Ngày nghỉ (không làm việc) (000.00.01.H26)"  # Vietnamese by default


def test_a_workday_on_a_day_already_worked_is_refused(tree):
    with pytest.raises(ValidationFailed) as raised:
        add(tree["commune"], TUESDAY, kind="workday")
    assert rules(raised) == [("day", "already_working_day")]
    with pytest.raises(ValidationFailed) as raised:  # the package's swapped Saturday is worked already
        add(None, date(2026, 8, 22), kind="workday")
    assert rules(raised) == [("day", "already_working_day")]


def test_a_holiday_on_a_day_already_closed_is_refused(tree):
    for day in (SUNDAY, SATURDAY, date(2026, 9, 2)):  # Sunday, ordinary Saturday, National Day
        with pytest.raises(ValidationFailed) as raised:
            add(tree["commune"], day)
        assert rules(raised) == [("day", "already_closed")]
    add(tree["province"], TUESDAY)
    with pytest.raises(ValidationFailed) as raised:  # closed by its province already
        add(tree["commune"], TUESDAY)
    assert rules(raised) == [("day", "already_closed")]


def test_what_the_rules_allow(tree):
    assert add(tree["commune"], SATURDAY, kind="workday", reason="Làm bù").kind == "workday"
    assert add(tree["commune"], date(2026, 8, 22)).kind == "holiday"  # a swapped Saturday may still be closed
    assert add(None, date(2026, 3, 14), kind="workday", reason="Làm bù theo thông báo").unit is None
    assert add(tree["commune"], date(2026, 9, 2), kind="workday", reason="Trực lễ").kind == "workday"


def test_kind_and_reason_are_checked(tree):
    with pytest.raises(ValidationFailed) as raised:
        add(tree["commune"], TUESDAY, kind="closed", reason=" ")
    assert rules(raised) == [("kind", "choice"), ("reason", "required")]
    assert raised.value.as_dict()["errors"][0]["field"] == "kind"
    assert not CalendarException.objects.exists()


def test_one_exception_per_unit_and_day(tree):
    add(tree["commune"], TUESDAY)
    add(tree["district"], TUESDAY)  # another unit, same day: allowed
    with pytest.raises(ValidationFailed) as raised:
        add(tree["commune"], TUESDAY, kind="workday")
    assert rules(raised) == [("day", "unique")]
    add(None, date(2026, 3, 11))
    with pytest.raises(ValidationFailed) as raised:
        add(None, date(2026, 3, 11))
    assert rules(raised) == [("day", "unique")]


def test_removing_an_exception_restores_the_day(tree):
    exc = add(tree["province"], TUESDAY)
    assert not queries.calendar_for(tree["commune"]).is_working_day(TUESDAY)
    services.remove_calendar_exception(exc)
    assert queries.calendar_for(tree["commune"]).is_working_day(TUESDAY)
    assert not CalendarException.objects.exists()


# --- the calendar a unit inherits ----------------------------------------------------------------------------------


def test_an_exception_of_the_province_applies_to_its_commune_not_to_another_province(tree):
    add(tree["province"], TUESDAY)
    add(tree["province"], SATURDAY, kind="workday", reason="Làm bù")
    for unit in ("province", "district", "commune"):
        cal = queries.calendar_for(tree[unit])
        assert not cal.is_working_day(TUESDAY) and cal.is_working_day(SATURDAY)
    for unit in ("ministry", "other", "other_commune"):
        cal = queries.calendar_for(tree[unit])
        assert cal.is_working_day(TUESDAY) and not cal.is_working_day(SATURDAY)
    assert queries.calendar_for(None).is_working_day(TUESDAY)


def test_a_global_exception_applies_everywhere(tree):
    add(None, TUESDAY, reason="Nghỉ theo thông báo của Chính phủ")
    for unit in [None, *tree.values()]:
        assert not queries.calendar_for(unit).is_working_day(TUESDAY)


def test_the_most_specific_exception_wins(tree):
    add(tree["province"], TUESDAY)
    add(tree["commune"], TUESDAY, kind="workday", reason="Tiếp dân")
    assert queries.calendar_for(tree["commune"]).is_working_day(TUESDAY)
    assert not queries.calendar_for(tree["district"]).is_working_day(TUESDAY)


def test_due_dates_of_a_commune_skip_its_provinces_closure(tree):
    add(tree["province"], TUESDAY)
    monday_8 = datetime(2026, 3, 9, 8, tzinfo=HANOI)
    assert worktime.add_working_days(monday_8, 1, queries.calendar_for(tree["commune"])) == \
        datetime(2026, 3, 11, 8, tzinfo=HANOI)
    assert worktime.add_working_days(monday_8, 1, queries.calendar_for(tree["other_commune"])) == \
        datetime(2026, 3, 10, 8, tzinfo=HANOI)


def test_cutoff_and_shifts_come_from_settings(tree, settings):
    default = queries.calendar_for(tree["commune"])
    assert default.cutoff == time(15) and default.shifts == worktime.DEFAULT_SHIFTS
    settings.WORK_CUTOFF = "16:00"
    settings.WORK_SHIFTS = "08:00-12:00,13:00-17:00"
    cal = queries.calendar_for(tree["commune"])
    assert cal.cutoff == time(16) and cal.shifts == ((time(8), time(12)), (time(13), time(17)))
    assert cal.hours_per_day == 8
    settings.WORK_SHIFTS = "13:00-17:00,08:00-12:00"
    with pytest.raises(ImproperlyConfigured):
        queries.calendar_for(tree["commune"])
    settings.WORK_SHIFTS = "08:00-12:00"
    settings.WORK_CUTOFF = "late"
    with pytest.raises(ImproperlyConfigured):
        queries.calendar_for(tree["commune"])


def test_calendar_for_is_one_query(tree, django_assert_num_queries):
    add(tree["province"], TUESDAY)
    add(None, date(2026, 3, 11))
    with django_assert_num_queries(1):
        queries.calendar_for(tree["commune"])


# --- the admin goes through the service ----------------------------------------------------------------------------


def test_admin_adds_through_the_service_and_shows_broken_rules(tree, client):
    admin = save_staff(username="root", full_name="Root", email="r@x.vn", password="pw-123456", is_superuser=True)
    client.force_login(admin)
    url = "/admin/organization/calendarexception/add/"
    form = {"unit": tree["province"].pk, "day": "2026-03-10", "kind": "holiday", "reason": "Bầu cử"}
    response = client.post(url, form)
    assert response.status_code == 302, response.content[:2000]
    exc = CalendarException.objects.get()
    assert exc.created_by == admin and exc.unit == tree["province"]
    again = client.post(url, form)
    assert again.status_code == 200 and CalendarException.objects.count() == 1
    assert again.context["adminform"].form.errors["day"] == ["Ngày này đã có ngày ngoại lệ."]
    sunday = client.post(url, {**form, "day": "2026-03-08"})
    assert sunday.status_code == 200 and CalendarException.objects.count() == 1
    assert sunday.context["adminform"].form.errors["day"] == ["Ngày này đã là ngày nghỉ."]
    assert client.post(f"/admin/organization/calendarexception/{exc.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not CalendarException.objects.exists()
