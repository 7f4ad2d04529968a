"""The history import keeps the index counters itself, a batch at a time (`dossiers_imported`), and writes in bulk:
whatever the batch size, the same records and the same counters, equal to what `recompute_index` builds; bad rows are
reported by line and rule while the other batches go in; a re-import changes nothing."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from motcua.core.clock import FrozenClock, use_clock
from motcua.dossiers.importing import import_lines
from motcua.dossiers.models import Dossier, Event, Pause, Rating, StepRecord
from motcua.index766 import queries, services
from motcua.index766.models import Counter, DossierContribution
from motcua.index766.periods import Period
from motcua.index766.simulate import Simulator, load_profile
from motcua.integrations import outbox
from motcua.organization.models import Unit

from .conftest import VN

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).resolve().parents[2] / "dossiers" / "demo" / "history-sample.jsonl"


@pytest.fixture
def lines(demo) -> list[str]:
    """A generated 2024 (refusals, withdrawals, one and two supplements, payments, ratings, marks) and the sample
    history (every status, results, open dossiers), in one file."""
    with use_clock(FrozenClock(datetime(2026, 11, 23, 9, 0, tzinfo=VN))):
        simulated = list(Simulator(load_profile("mod-2024"), scale=0.004, seed=3).lines())
    return simulated + SAMPLE.read_text(encoding="utf-8").splitlines()


def records() -> dict[str, Any]:
    """Every record the import writes, keyed by dossier code instead of database ids."""
    code = dict(Dossier.objects.values_list("pk", "code"))

    def rows(model: Any, exclude: tuple[str, ...] = ()) -> list[tuple]:
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in ("id", *exclude)]
        out = []
        for values in model.objects.values_list(*names):
            item = dict(zip(names, values, strict=True))
            item["dossier_id"] = code[item["dossier_id"]] if "dossier_id" in item else None
            out.append(tuple(sorted((k, json.dumps(v, sort_keys=True, default=str)) for k, v in item.items())))
        return sorted(out)

    return {
        "dossiers": rows(Dossier, ("lookup_key",)), "events": rows(Event), "pauses": rows(Pause),
        "steps": rows(StepRecord), "ratings": rows(Rating),
        "counters": sorted(Counter.objects.values_list("period", "unit_id", "procedure_id", "key", "due", "count")),
        "contributions": sorted((code[c.dossier_id], c.unit_id_value, c.procedure_id_value, json.dumps(c.rows))
                                for c in DossierContribution.objects.all()),
    }


def cards() -> list[dict[str, Any]]:
    out = []
    for unit in Unit.objects.filter(agency_code__in=["000.00.00.G11", "000.05.12.H26"]):
        for period in (Period(2024), Period(2024, quarter=2), Period(2024, month=6), Period(2026)):
            out.append(queries.scorecard(queries.context(unit, period)))
    return out


def test_bulk_import_equals_row_by_row_and_recompute(lines):
    assert len(lines) > 450
    with use_clock(FrozenClock(datetime(2026, 11, 23, 9, 0, tzinfo=VN))):
        with transaction.atomic():  # row by row, then rolled back
            report = import_lines(lines, batch_size=1)
            assert not report.errors and report.dossiers == len(lines)
            one_by_one, one_by_one_cards = records(), cards()
            transaction.set_rollback(True)
        assert not Dossier.objects.exists()
        report = import_lines(lines, batch_size=5000)
        assert not report.errors and report.dossiers == len(lines) and len(report.batches) == 1
        bulk, bulk_cards = records(), cards()
        assert bulk == one_by_one and bulk_cards == one_by_one_cards
        # the import's outbox events are written, but the index does not read them one by one
        assert outbox.pending_count("index766") == 0
        kinds = set(Event.objects.values_list("action", flat=True))
        assert {"refuse", "withdraw", "request_supplement", "supplement", "request_payment", "pay", "approve",
                "return_result", "import"} <= kinds
        assert Rating.objects.exists() and Pause.objects.exists()
        services.recompute()
        assert records()["counters"] == bulk["counters"] and records()["contributions"] == bulk["contributions"]
        assert cards() == bulk_cards
        assert bulk_cards[0]["volume"]["submitted"] > 400


def test_bad_rows_are_reported_and_a_reimport_changes_nothing(lines):
    broken = json.loads(lines[3])
    broken["events"][0]["from_status"] = 4
    unknown = json.loads(lines[5])
    unknown["unit"] = "999.99.99.X00"
    bad = [*lines[:3], json.dumps(broken), lines[4], json.dumps(unknown), *lines[6:]]
    with use_clock(FrozenClock(datetime(2026, 11, 23, 9, 0, tzinfo=VN))):
        report = import_lines(bad, batch_size=100)
        assert {(e.line, e.error.field, e.error.rule) for e in report.errors} >= {
            (4, "events[0].from_status", "chain"), (6, "unit", "exists")}
        assert [b.ok for b in report.batches].count(False) == 1  # the first batch holds both bad rows
        assert report.dossiers == len(lines) - 100
        first = records()
        assert first["counters"] and len(first["contributions"]) == report.dossiers
        again = import_lines(bad, batch_size=100)
        assert again.dossiers == 0
        assert sum(1 for e in again.errors if e.error.rule == "exists" and e.error.field == "code") == report.dossiers
        assert records() == first
        services.recompute()
        assert records()["counters"] == first["counters"]
