"""The index API: scorecard shape, drill-down, permissions, export in the import format (round trip)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from motcua.core.clock import FrozenClock, use_clock
from motcua.identity.models import User

from .conftest import VN

MARCH = {"year": 2026, "month": 3}


@pytest.fixture
def frozen():
    with use_clock(FrozenClock(datetime(2026, 4, 15, 9, 0, tzinfo=VN))) as clock:
        yield clock


def login(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def test_scorecard_shape(example, client, frozen):
    body = login(client, "admin.demo").get("/api/v1/index/scorecard", MARCH).json()
    assert body["unit"]["code"] == "000.00.00.G11" and body["period"]["key"] == "2026-03"
    assert [g["id"] for g in body["groups"]] == ["transparency", "progress", "online", "payment", "digitization",
                                                  "satisfaction"]
    assert sum(g["maximum"] for g in body["groups"]) == 100
    rows = {i["id"]: i for g in body["groups"] for i in g["indicators"]}
    assert {"id", "name", "numerator", "denominator", "rate", "points", "maximum"} <= set(rows["2.1"])
    assert rows["2.1"]["points"] == pytest.approx(12.5)
    for no_data in ("1.2", "1.4", "3.5", "ECC"):  # data the system does not hold: not 0
        assert rows[no_data]["rate"] is None and rows[no_data]["points"] is None, no_data
        assert rows[no_data]["has_data"] is False
    # petitions (none in March): 5.2 and 5.3 get full points when D = 0 [OBS], 5.1 has no points
    assert (rows["5.2"]["denominator"], rows["5.2"]["points"]) == (0, 6) and rows["5.3"]["points"] == 6
    assert body["volume"] == {"submitted": 9, "submitted_online": 9, "received": 8}
    assert {s["name"] for s in body["settings"]} >= {"MOTCUA_INDEX_PAUSE_TIME", "MOTCUA_INDEX_ONLINE_POINTS"}


def test_items_count_equals_the_figures(example, client, frozen):
    login(client, "admin.demo")
    rows = {i["id"]: i for g in client.get("/api/v1/index/scorecard", MARCH).json()["groups"]
            for i in g["indicators"]}
    for indicator in ("2.1", "4.2", "4.5a", "3.1"):
        for part, figure in (("numerator", "numerator"), ("denominator", "denominator")):
            body = client.get(f"/api/v1/index/indicators/{indicator}/items", {**MARCH, "part": part}).json()
            assert body["count"] == rows[indicator][figure], (indicator, part)
    lost = client.get("/api/v1/index/indicators/2.1/items", {**MARCH, "part": "lost"}).json()
    assert lost["count"] == 3 and all(i["link"].startswith("/backoffice/dossiers/") for i in lost["items"])


def test_bad_period_names_the_field(example, client, frozen):
    response = login(client, "admin.demo").get("/api/v1/index/scorecard", {"year": 2026, "month": 13})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "month"
    response = client.get("/api/v1/index/indicators/9.9/items", MARCH)
    assert response.status_code == 404


def test_permissions(example, client, frozen):
    from motcua.demo.data import CITIZENS
    from motcua.identity.services import CitizenSignup, register_citizen

    username, national_id, full_name, birth, sex, phone, email, address = CITIZENS[0]
    register_citizen(CitizenSignup(username=username, national_id=national_id, full_name=full_name,
                                   birth_date=birth, sex=sex, phone=phone, email=email, address=address,
                                   password="motcua-demo-9", home_unit=None))
    assert client.get("/api/v1/index/scorecard").status_code == 401
    assert login(client, username).get("/api/v1/index/scorecard").status_code == 403
    assert login(client, username).get("/api/v1/export/dossiers.jsonl").status_code == 403
    assert login(client, "onestop.demo").get("/api/v1/index/scorecard").status_code == 403  # no index role
    leader = login(client, "leader.demo")  # leader of a commune: its own subtree only
    assert leader.get("/api/v1/index/scorecard", {"unit": "000.05.12.H26"}).status_code == 200
    denied = leader.get("/api/v1/index/scorecard", {"unit": "000.00.00.G11"})
    assert denied.status_code == 403 and denied.json()["errors"][0]["field"] == "unit"
    assert leader.get("/api/v1/export/dossiers.jsonl", {"unit": "000.01.00.G11"}).status_code == 403


def _snapshot():
    from motcua.dossiers.models import Dossier, Event, Rating

    dossiers = sorted(Dossier.objects.values_list(
        "code", "procedure__code", "version__number", "receiving_unit__agency_code", "current_unit__agency_code",
        "channel", "status", "outcome", "submitted_at", "accepted_at", "due_at", "finished_at", "returned_at", "late",
        "owner_id_number", "supplement_requests", "current_step"))
    events = sorted(Event.objects.exclude(action="import").values_list(
        "dossier__code", "seq", "action", "at", "from_status", "to_status", "unit__agency_code", "to_step", "note"))
    ratings = sorted(Rating.objects.values_list("dossier__code", "score", "not_satisfied", "created_at"))
    return dossiers, events, ratings


def _wipe():
    from motcua.dossiers.models import Dossier, DossierSequence, Event, Pause, Rating, StepRecord
    from motcua.index766.models import Counter, DossierContribution
    from motcua.integrations.models import OutboxEvent

    for model in (DossierContribution, Counter, Rating, Pause, StepRecord, OutboxEvent, DossierSequence):
        model.objects.all().delete()
    Event.objects.all()._raw_delete(Event.objects.db)  # history is append-only; an empty test database is not
    Dossier.objects.all().delete()


def test_export_round_trip(example, client, frozen):
    from motcua.dossiers.importing import import_lines
    from motcua.index766 import queries, services
    from motcua.index766.periods import Period

    response = login(client, "admin.demo").get("/api/v1/export/dossiers.jsonl")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/x-ndjson")
    exported = b"".join(response.streaming_content).decode().splitlines()
    assert len(exported) == 10 and json.loads(exported[0])["events"]
    before = _snapshot()
    ctx = queries.context(example["000.00.00.G11"], Period(2026, month=3))
    card = queries.scorecard(ctx)
    _wipe()
    report = import_lines(exported, source="export.jsonl")
    assert not report.errors, [str(e) for e in report.errors]
    assert _snapshot() == before
    services.recompute()
    again = queries.scorecard(queries.context(example["000.00.00.G11"], Period(2026, month=3)))
    assert again["groups"] == card["groups"]
    second = b"".join(client.get("/api/v1/export/dossiers.jsonl").streaming_content).decode().splitlines()
    assert second == exported


def test_export_filters(example, client, frozen):
    login(client, "admin.demo")
    body = client.get("/api/v1/export/dossiers.jsonl", {"from": "2026-03-01", "to": "2026-03-31",
                                                        "unit": "000.01.00.G11"})
    codes = [json.loads(line)["code"] for line in b"".join(body.streaming_content).decode().splitlines()]
    assert codes and all(code.startswith("000.01.00.G11-2603") for code in codes)
    assert client.get("/api/v1/export/dossiers.jsonl", {"from": "2026-04-01", "to": "2026-03-01"}).status_code == 422


def test_openapi_lists_the_index_operations(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/index/scorecard", "/api/v1/index/indicators/{indicator_id}/items",
                 "/api/v1/index/trend", "/api/v1/index/ranking", "/api/v1/export/dossiers.jsonl"):
        assert path in paths
        assert {"401", "403", "422"} <= set(paths[path]["get"]["responses"]), path
