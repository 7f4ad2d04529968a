"""The history import on PostgreSQL: records and index counters written with COPY (core.bulk_insert) equal what
`recompute_index` rebuilds, and a re-import writes nothing."""

from __future__ import annotations

import json

import pytest

from .conftest import Site

pytestmark = pytest.mark.postgres

SCRIPT = r"""
import json
import django
django.setup()
from motcua.dossiers.models import Dossier, Event, Pause, Rating, StepRecord
from motcua.index766 import services
from motcua.index766.models import Counter, DossierContribution
from motcua.index766.simulate import load_profile, simulate

def counters():
    return sorted(Counter.objects.values_list("period", "unit_id", "procedure_id", "key", "due", "count"))

def contributions():
    return sorted((c.dossier_id, json.dumps(c.rows)) for c in DossierContribution.objects.all())

report = simulate(load_profile("mod-2024"), scale=0.003, seed=5, batch_size=150)
kept, rows = counters(), contributions()
again = simulate(load_profile("mod-2024"), scale=0.003, seed=5, batch_size=150)
services.recompute()
print(json.dumps({
    "dossiers": report.dossiers, "errors": [str(e) for e in report.errors][:5], "again": again.dossiers,
    "counted": Dossier.objects.count(), "events": Event.objects.count(), "reported_events": report.events,
    "pauses": Pause.objects.count(), "steps": StepRecord.objects.count(), "ratings": Rating.objects.count(),
    "same_counters": kept == counters(), "same_contributions": rows == contributions(), "counters": len(kept),
    "imported_at_type": type(Event.objects.filter(action="import").values_list("data", flat=True)[0]).__name__,
}))
"""


def test_import_with_copy_equals_recompute(pg_site: Site):
    out = json.loads(pg_site.run("-c", SCRIPT, timeout=600).stdout.strip().splitlines()[-1])
    assert out["errors"] == [] and out["dossiers"] == round(116182 * 0.003) == out["counted"]
    assert out["again"] == 0 and out["events"] == out["reported_events"]
    assert out["pauses"] and out["steps"] and out["ratings"] and out["counters"]
    assert out["same_counters"] and out["same_contributions"]
    assert out["imported_at_type"] == "dict"  # JSON columns hold JSON, not text
