"""Bottlenecks (dwell time per step and unit from the history) and early warning (dossiers at risk, apology drafts)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from motcua.dossiers import reports
from motcua.dossiers.models import Dossier, Event, Status
from motcua.identity.models import User
from motcua.organization.models import Unit
from motcua.organization.queries import calendar_for

from .conftest import first_registration

pytestmark = pytest.mark.django_db
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=HANOI)


def test_percentile_interpolates_between_closest_ranks():
    values = [float(v) for v in range(10, 0, -1)]
    assert reports.percentile(values, 50) == 5.5
    assert reports.percentile(values, 90) == pytest.approx(9.1)
    assert reports.percentile([4.0], 90) == 4.0


def test_passes_split_on_step_and_unit_and_collect_pauses():
    t = [at(2026, 11, 23, 8, 0) + timedelta(hours=h) for h in range(6)]
    events = [
        {"dossier_id": 1, "at": t[0], "unit_id": 7, "to_step": "receive", "from_status": None, "to_status": 1},
        {"dossier_id": 1, "at": t[1], "unit_id": 7, "to_step": "appraise", "from_status": 1, "to_status": 2},
        {"dossier_id": 1, "at": t[2], "unit_id": 7, "to_step": "appraise", "from_status": 2, "to_status": 5},
        {"dossier_id": 1, "at": t[3], "unit_id": 7, "to_step": "appraise", "from_status": 5, "to_status": 4},
        {"dossier_id": 1, "at": t[4], "unit_id": 9, "to_step": "appraise", "from_status": 4, "to_status": 4},
        {"dossier_id": 1, "at": t[5], "unit_id": 9, "to_step": "", "from_status": 4, "to_status": 8},
    ]
    found = [(p.step, p.unit_id, p.started_at, p.ended_at, p.pauses) for p in reports.passes(events)]
    assert found == [("receive", 7, t[0], t[1], []), ("appraise", 7, t[1], t[4], [(t[2], t[3])]),
                     ("appraise", 9, t[4], t[5], [])]


@pytest.fixture
def one_dossier(api, frozen_clock):
    citizen = api("citizen.demo")
    response = citizen.post("/api/v1/dossiers", first_registration(citizen))
    assert response.status_code == 201, response.content
    return Dossier.objects.get(code=response.json()["code"])


def _clone(source: Dossier, number: int) -> Dossier:
    copy = Dossier.objects.get(pk=source.pk)
    copy.pk, copy.code, copy.idempotency_key = None, f"{source.code[:-4]}{number + 100:04d}", None
    copy.save()
    return copy


def test_dwell_times_per_step_and_unit_from_a_constructed_history(one_dossier):
    """Ten dossiers spend 1..10 working hours in appraisal; one of them waited 3 hours for the applicant besides."""
    unit = one_dossier.receiving_unit
    calendar = calendar_for(unit)
    start = at(2026, 11, 25, 7, 30)
    for number, hours in enumerate(range(1, 11)):
        dossier = _clone(one_dossier, number)
        accepted = start + timedelta(days=7 * (number % 2))  # a Wednesday, some a week later
        done = calendar.add_working_hours(accepted, hours)
        rows = [("submit", accepted, "receive", None, Status.NEW), ("accept", accepted, "appraise", 1, 2)]
        if hours == 4:  # a supplement of 3 working hours in the middle: 4 + 3 hours on the clock, 4 counted
            paused = calendar.add_working_hours(accepted, 2)
            resumed = calendar.add_working_hours(paused, 3)
            done = calendar.add_working_hours(accepted, 7)
            rows += [("request_supplement", paused, "appraise", 2, 5), ("supplement", resumed, "appraise", 5, 2)]
        rows.append(("complete_step", done, "approve", 2, 4))
        for seq, (action, when, step, before, after) in enumerate(rows, start=1):
            Event.objects.create(dossier=dossier, seq=seq, action=action, at=when, unit=unit, to_step=step,
                                 from_status=before, to_status=after)
    steps = reports.dwell_times(unit, date(2026, 11, 1), date(2026, 12, 31))
    appraisal = next(row for row in steps if row["step"] == "appraise")
    assert appraisal == {"step": "appraise", "step_name": "Thẩm định hồ sơ", "unit": unit.agency_code,
                         "unit_name": unit.name_vi, "passes": 10, "median_hours": 5.5, "p90_hours": 9.1}
    reception = next(row for row in steps if row["step"] == "receive")
    assert reception["passes"] == 10 and reception["p90_hours"] == 0
    # Only passes that ended in the period count; another subtree has none.
    # Wednesday 25/11 alone: the appraisals of 1, 3, 5 and 7 hours ended that day (9 hours ends on Thursday).
    assert reports.dwell_times(unit, date(2026, 11, 25), date(2026, 11, 25)) == [
        {**appraisal, "passes": 4, "median_hours": 4.0, "p90_hours": 6.4}, {**reception, "passes": 5}]
    assert reports.dwell_times(Unit.objects.get(agency_code="000.00.01.H39"), date(2026, 11, 1),
                               date(2026, 12, 31)) == []


def _accepted(api, frozen_clock) -> str:
    citizen, onestop = api("citizen.demo"), api("onestop.demo")
    code = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    assert onestop.act(code, "accept").status_code == 200
    return code


@pytest.fixture
def risky_and_comfortable(api, frozen_clock, settings):
    """1.013133 has 1 working day (7.5 h): appraisal 60%, approval 20%, return 10%. `risky` was accepted Monday
    09:00 and is still in appraisal at 16:30 (2 h left, 2.25 h planned for approval and return); `comfortable` was
    accepted at 16:30."""
    settings.MOTCUA_AT_RISK_HOURS = 1
    risky = _accepted(api, frozen_clock)
    frozen_clock.set(at(2026, 11, 23, 16, 30))
    comfortable = _accepted(api, frozen_clock)
    return risky, comfortable


def test_at_risk_lists_a_dossier_with_little_time_left_and_not_a_comfortable_one(risky_and_comfortable):
    risky, comfortable = risky_and_comfortable
    commune = Unit.objects.get(agency_code="000.05.12.H26")
    items = reports.at_risk(commune)
    assert [item["code"] for item in items] == [risky]
    item = items[0]
    assert (item["left_hours"], item["planned_hours"], item["step"]) == (2.0, 2.25, "appraise")
    assert item["due_at"] == Dossier.objects.get(code=risky).due_at
    assert item["proposed_due"] == date(2026, 11, 26)  # the working day after the due date (24/11 is a holiday)
    # A lower threshold or more time: nothing; a late dossier is no longer "at risk" (it is overdue).
    ministry = Unit.objects.get(agency_code="000.00.00.G11")
    assert [i["code"] for i in reports.at_risk(ministry)] == [risky]
    assert reports.at_risk(Unit.objects.get(agency_code="000.00.01.H39")) == []


def test_the_threshold_alone_flags_a_dossier(risky_and_comfortable, settings):
    risky, comfortable = risky_and_comfortable
    settings.MOTCUA_AT_RISK_HOURS = 9  # every dossier of a 7.5-hour procedure
    codes = [i["code"] for i in reports.at_risk(Unit.objects.get(agency_code="000.05.12.H26"))]
    assert codes == [risky, comfortable]


def test_the_apology_draft_link_opens_a_prefilled_form_that_works(risky_and_comfortable):
    risky, _comfortable = risky_and_comfortable
    leader = Client()
    leader.force_login(User.objects.get(username="leader.demo"))
    page = leader.get("/backoffice/reports/at-risk/").content.decode()
    assert f'data-testid="risk-{risky}"' in page
    url = reports.with_drafts(reports.at_risk(Unit.objects.get(agency_code="000.05.12.H26")))[0]["apology_draft"]["url"]
    assert url.replace("&", "&amp;") in page
    query = parse_qs(urlparse(url).query)
    html = leader.get(url).content.decode()
    assert '<details id="action-apology" class="action-card" open data-testid="action-apology">' in html
    assert 'name="new_due_at" id="id_apology-new_due_at" value="2026-11-26"' in html
    assert query["reason"][0] in html and "Thẩm định hồ sơ" in query["reason"][0]
    sent = leader.post(urlparse(url).path, {"action": "apology", "new_due_at": query["new_due_at"][0],
                                            "reason": query["reason"][0]})
    assert sent.status_code == 302
    dossier = Dossier.objects.get(code=risky)
    assert dossier.apologies == 1 and dossier.due_at == at(2026, 11, 26, 17, 0)


def test_reports_over_the_api_for_leaders_and_index_viewers_only(api, risky_and_comfortable):
    risky, _comfortable = risky_and_comfortable
    leader, viewer, citizen, handler = (api(u) for u in ("leader.demo", "admin.demo", "citizen.demo", "handler.demo"))
    body = leader.get("/api/v1/reports/at-risk").json()
    assert body["unit"] == "000.05.12.H26" and [i["code"] for i in body["items"]] == [risky]
    assert body["items"][0]["apology_draft"]["new_due_at"] == "2026-11-26"
    assert viewer.get("/api/v1/reports/at-risk", unit="000.05.12.H26").json()["items"][0]["code"] == risky
    assert leader.get("/api/v1/reports/at-risk", unit="000.00.00.G11").status_code == 403
    assert leader.get("/api/v1/reports/at-risk", unit="nope").status_code == 422
    assert citizen.get("/api/v1/reports/at-risk").status_code == 403
    assert handler.get("/api/v1/reports/bottlenecks").status_code == 403
    report = viewer.get("/api/v1/reports/bottlenecks", **{"from": "2026-11-01", "to": "2026-11-30"})
    assert report.status_code == 200, report.content
    data = report.json()
    assert data["from"] == "2026-11-01" and {row["code"] for row in data["waiting"]} == {risky, _comfortable}
    reception = next(row for row in data["steps"] if row["step"] == "receive")
    assert reception["passes"] == 2 and reception["unit"] == "000.05.12.H26"
    bad = viewer.get("/api/v1/reports/bottlenecks", **{"from": "2026-12-01", "to": "2026-11-01"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "from"


def test_units_with_most_overdue_and_the_bottleneck_page(api, risky_and_comfortable, frozen_clock):
    frozen_clock.set(at(2026, 11, 30, 9, 0))  # both past due now
    rows = reports.overdue_units(Unit.objects.get(agency_code="000.00.00.G11"))
    assert rows == [{"unit": "000.05.12.H26", "unit_name": "Ban Chỉ huy Quân sự phường Ngọc Hà", "overdue": 2}]
    viewer = Client()
    viewer.force_login(User.objects.get(username="admin.demo"))
    html = viewer.get("/backoffice/reports/bottlenecks/", {"from": "2026-11-01", "to": "2026-11-30"}).content.decode()
    assert 'data-testid="overdue-units"' in html and "Ban Chỉ huy Quân sự phường Ngọc Hà" in html
    handler = Client()
    handler.force_login(User.objects.get(username="handler.demo"))
    assert handler.get("/backoffice/reports/bottlenecks/").status_code == 403
    assert handler.get("/backoffice/reports/at-risk/").status_code == 403
