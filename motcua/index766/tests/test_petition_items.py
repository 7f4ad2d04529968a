"""The drill-down of 5.1-5.3 lists the petitions behind each figure (numerator, denominator, those that cost points),
with links to the back office, and its counts equal the scorecard's figures."""

from __future__ import annotations

import pytest

from motcua.identity.models import User
from motcua.petitions.tests.test_petitions import index_history

pytestmark = pytest.mark.django_db

Q4 = {"year": 2026, "quarter": 4, "unit": "000.05.12.H26"}


def test_petition_drill_down_lists_the_petitions_behind_the_figures(demo, frozen_clock, client):
    history = index_history(frozen_clock)  # the clock is left at 16/12/2026 10:00
    on_time, late, refused_late = history["on_time_answer"], history["late_answer"], history["refused_late"]
    open_past, staff = history["open_ok"], history["staff"]  # both open past their deadline at the cut-off
    client.force_login(User.objects.get(username="admin.demo"))
    card = client.get("/api/v1/index/scorecard", Q4).json()
    figures = {i["id"]: i for g in card["groups"] for i in g["indicators"]}

    def codes(indicator: str, part: str) -> list[str]:
        body = client.get(f"/api/v1/index/indicators/{indicator}/items", {**Q4, "part": part}).json()
        assert body["count"] == len(body["items"])
        assert all(i["kind"] == "petition" and i["link"] == f"/backoffice/petitions/{i['code']}/"
                   for i in body["items"])
        return [i["code"] for i in body["items"]]

    every = sorted(p.code for p in history.values())
    # 5.1: every petition sent in the period; numerator: about regulations or staff (refused_late was never
    # classified).
    assert codes("5.1", "denominator") == every
    assert codes("5.1", "numerator") == sorted([on_time.code, late.code, open_past.code, staff.code])
    assert codes("5.1", "lost") == [refused_late.code]
    # 5.2: handled on time: only on_time; late, refused late and open past 15 working days cost points.
    assert codes("5.2", "numerator") == [on_time.code]
    assert codes("5.2", "lost") == sorted([late.code, refused_late.code, open_past.code, staff.code])
    # 5.3: received (classified) petitions; late or open past the deadline are unsatisfactory.
    assert codes("5.3", "denominator") == sorted([on_time.code, late.code, open_past.code, staff.code])
    assert codes("5.3", "numerator") == [on_time.code]
    assert codes("5.3", "lost") == sorted([late.code, open_past.code, staff.code])
    for indicator in ("5.1", "5.2", "5.3"):
        for part in ("numerator", "denominator"):
            assert len(codes(indicator, part)) == figures[indicator][part], (indicator, part)
        assert figures[indicator]["drill_down"] is True
    item = client.get("/api/v1/index/indicators/5.2/items", {**Q4, "part": "numerator"}).json()["items"][0]
    assert item["state"] == "published" and item["in_numerator"] is True and item["unit"] == "000.05.12.H26"
    page = client.get("/backoffice/index/indicators/5.3/", {**Q4, "part": "lost"})
    assert page.status_code == 200 and f"/backoffice/petitions/{late.code}/".encode() in page.content
