"""The worked example of index-766.md §4: the same dossiers give the same rates and points."""

from __future__ import annotations

from datetime import datetime

import pytest

from motcua.index766 import queries, services
from motcua.index766.periods import Period

from .conftest import VN

NOW = datetime(2026, 4, 15, 9, 0, tzinfo=VN)


def card(units, settings=None, code="000.00.00.G11") -> dict:
    ctx = queries.context(units[code], Period(2026, month=3), now=NOW)
    return {i["id"]: i for g in queries.scorecard(ctx)["groups"] for i in g["indicators"]}


@pytest.mark.parametrize("pause", ["working", "calendar"])
def test_progress_2_1(example, settings, pause):
    settings.MOTCUA_INDEX_PAUSE_TIME = pause
    services.recompute()
    row = card(example)["2.1"]
    assert (row["numerator"], row["denominator"]) == (5, 8)
    assert row["rate"] == pytest.approx(62.5)
    assert row["points"] == pytest.approx(12.5)


def test_incremental_counters_give_the_example(example):
    """The consumer ran on the import events (no recompute): same figures."""
    row = card(example)["2.1"]
    assert (row["numerator"], row["denominator"], row["points"]) == (5, 8, pytest.approx(12.5))


def test_digitization_group(example):
    rows = card(example)
    expected = {"4.1": (3, 4, 75.0, 4.5), "4.2": (5, 8, 62.5, 3.125), "4.3": (3, 8, 37.5, 0.9375),
                "4.4": (2, 8, 25.0, 1.0), "4.5a": (2, 4, 50.0, 1.0), "4.5b": (3, 8, 37.5, 0.75)}
    for indicator, (n, d, rate, points) in expected.items():
        row = rows[indicator]
        assert (row["numerator"], row["denominator"]) == (n, d), indicator
        assert row["rate"] == pytest.approx(rate), indicator
        assert row["points"] == pytest.approx(points), indicator
    assert rows["ECC"]["rate"] is None and rows["ECC"]["points"] is None and not rows["ECC"]["has_data"]
    ctx = queries.context(example["000.00.00.G11"], Period(2026, month=3), now=NOW)
    group = next(g for g in queries.scorecard(ctx)["groups"] if g["id"] == "digitization")
    assert group["points"] == pytest.approx(11.3125)
    assert group["applicable_maximum"] == 20


def test_digitization_observed_threshold(example, settings):
    settings.MOTCUA_INDEX_DIGITIZED_THRESHOLD = 100
    assert card(example)["4.2"]["points"] == pytest.approx(2.5)


def test_child_unit_counts_only_its_subtree(example):
    rows = card(example, code="000.01.00.G11")  # U1: D3, D4, D7
    assert (rows["2.1"]["numerator"], rows["2.1"]["denominator"]) == (1, 3)
    assert rows["1.3"]["rate"] is None  # root only


def test_drill_down_matches_figures(example):
    ctx = queries.context(example["000.00.00.G11"], Period(2026, month=3), now=NOW)
    late = {i.code for i in queries.items(ctx, "2.1", "lost")}
    assert late == {"000.00.00.G11-260303-0001", "000.01.00.G11-260316-0001", "000.01.00.G11-260305-0001"}
    for indicator in ("2.1", "4.1", "4.2", "4.3", "4.4", "4.5b", "4.5a", "5.4", "3.3"):
        row = card(example)[indicator]
        assert len(queries.items(ctx, indicator, "numerator")) == row["numerator"], indicator
        assert len(queries.items(ctx, indicator, "denominator")) == row["denominator"], indicator
