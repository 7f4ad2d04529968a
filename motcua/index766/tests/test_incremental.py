"""Counters kept from the outbox, event by event, equal the counters `recompute_index` rebuilds from the records: on a
history with every kind of event, live (API) and imported."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from motcua.dossiers.importing import import_file
from motcua.dossiers.tests.conftest import api, first_registration  # noqa: F401 - the fixture is used here
from motcua.index766 import queries
from motcua.index766.models import Counter, DossierContribution
from motcua.index766.periods import Period
from motcua.integrations.outbox import deliver_pending

SAMPLE = Path(__file__).resolve().parents[2] / "dossiers" / "demo" / "history-sample.jsonl"


def drain() -> None:
    while deliver_pending(500):
        pass


def counters() -> set[tuple]:
    return set(Counter.objects.values_list("period", "unit_id", "procedure_id", "key", "due", "count"))


def cards(unit_codes=("000.00.00.G11", "000.05.12.H26")) -> list[dict]:
    from motcua.organization.models import Unit

    out = []
    for code in unit_codes:
        for period in (Period(2026, month=11), Period(2026, month=12), Period(2026, quarter=4), Period(2026),
                       Period(2023)):
            out.append(queries.scorecard(queries.context(Unit.objects.get(agency_code=code), period)))
    return out


def submit(citizen) -> str:
    response = citizen.post("/api/v1/dossiers", first_registration(citizen))
    assert response.status_code == 201, response.content
    return response.json()["code"]


def test_incremental_equals_recompute(api, frozen_clock):  # noqa: F811
    citizen, onestop, handler, leader = (api(n) for n in ("citizen.demo", "onestop.demo", "handler.demo",
                                                          "leader.demo"))
    import_file(SAMPLE)  # imported history: every status, results, supplements
    on_time = submit(citizen)
    onestop.act(on_time, "accept")
    handler.act(on_time, "complete_step")
    assert leader.act(on_time, "approve").json()["status"] == 9  # a signed electronic result (result.issued)
    onestop.act(on_time, "return_result", {"method": "online"})
    assert citizen.post(f"/api/v1/dossiers/{on_time}/rating", {"score": 1, "not_satisfied": True}).status_code == 201

    twice = submit(citizen)
    onestop.act(twice, "accept")
    for item in ("Bản sao văn bằng", "Ảnh 4x6"):  # supplement requested twice, fulfilled twice
        assert handler.act(twice, "request_supplement", {"items": [item]}).json()["status"] == 5
        frozen_clock.advance(timedelta(hours=3))
        assert citizen.act(twice, "supplement", {"note": "Đã bổ sung"}).status_code == 200
    handler.act(twice, "complete_step")
    frozen_clock.advance(timedelta(days=7))
    assert leader.act(twice, "approve").json()["late"] is True  # approved late

    refused = submit(citizen)
    onestop.act(refused, "refuse", {"reasons": ["Không thuộc thẩm quyền"]})
    withdrawn = submit(citizen)
    citizen.act(withdrawn, "withdraw", {"reason": "Nộp nhầm"})
    paying = submit(citizen)
    onestop.act(paying, "accept")
    assert onestop.act(paying, "request_payment", {"amount_vnd": 50000}).json()["status"] == 6
    onestop.act(paying, "pay", {"transaction_id": "BL-1"})
    waiting = submit(citizen)
    onestop.act(waiting, "accept")
    handler.act(waiting, "request_supplement", {"items": ["Giấy khám sức khỏe"]})  # pending, one request
    still_open = submit(citizen)
    onestop.act(still_open, "accept")
    frozen_clock.advance(timedelta(days=14))  # into December: the open dossiers reach a new month without events
    drain()

    incremental, incremental_cards = counters(), cards()
    assert incremental and DossierContribution.objects.count() > 20
    keys = {row[3] for row in incremental}
    assert {"sub", "rcv", "p", "p.ok", "p.open", "paper", "dig", "obl", "paid", "done", "s.ok", "pop"} <= keys
    assert any(row[0].startswith("T") for row in incremental)  # the tail of the open dossiers
    december = next(c for c in incremental_cards if c["period"]["key"] == "2026-12"
                    and c["unit"]["code"] == "000.05.12.H26")
    progress = next(i for g in december["groups"] for i in g["indicators"] if i["id"] == "2.1")
    assert progress["denominator"] >= 3  # the still-open ones count in December without any event there

    call_command("recompute_index", stdout=StringIO())
    assert counters() == incremental
    assert cards() == incremental_cards


def test_a_repeated_or_late_event_changes_nothing(api, frozen_clock):  # noqa: F811
    from motcua.index766 import services

    citizen, onestop = api("citizen.demo"), api("onestop.demo")
    code = submit(citizen)
    onestop.act(code, "accept")
    drain()
    before = counters()
    services.apply_codes([code])  # the same delivery again
    assert counters() == before
