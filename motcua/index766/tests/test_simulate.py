"""The workload simulator reads back the profile's figures: volume of the year and on-time rate."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from motcua.index766 import queries
from motcua.index766.periods import Period
from motcua.index766.simulate import load_profile
from motcua.integrations import outbox
from motcua.organization.models import Unit


def test_simulated_year_reads_back_the_profile(demo):
    profile = load_profile("mod-2024")
    out = StringIO()
    call_command("simulate", "--profile", "mod-2024", "--scale", "0.01", "--seed", "7", stdout=out)
    assert "Imported 1162 dossiers" in out.getvalue()
    assert outbox.pending_count("index766") == 0  # the import kept the counters itself, batch by batch
    root = Unit.objects.get(parent__isnull=True)
    card = queries.scorecard(queries.context(root, Period(2024)))
    assert card["volume"]["submitted"] == round(profile["dossiers"] * 0.01) == 1162
    assert card["volume"]["submitted_online"] == 1162
    progress = next(i for g in card["groups"] for i in g["indicators"] if i["id"] == "2.1")
    received = progress["denominator"]
    assert received == 1162 - round(1162 * profile["shares"]["refused"])
    # exactly round(received × 1%) are late: the rate is the profile's within rounding
    assert progress["rate"] == pytest.approx(100 * profile["on_time_rate"], abs=50 / received)
    # seasonal: each month carries its weight of the volume
    months = queries.trend(root, 2024)
    weights = profile["months"]
    for month, weight in zip(months, weights, strict=True):
        assert month["submitted"] == pytest.approx(1162 * weight / sum(weights), abs=1)
    # spread over units and procedures
    ranking = queries.ranking(root, Period(2024))
    assert sum(1 for r in ranking if r["received"]) >= 3
    digitized = next(i for g in card["groups"] for i in g["indicators"] if i["id"] == "4.2")
    assert 80 < digitized["rate"] < 100
