"""Every write of the index: apply a dossier's new contribution (incremental), and rebuild everything (recompute).

Both compute each dossier's rows with `rules.contributions` from the facts `facts.Loader` reads, so the counters
after any sequence of events equal the counters a recompute builds from the same records.
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Max

from motcua.core.bulk_insert import insert_rows
from motcua.dossiers.models import Dossier
from motcua.integrations import outbox
from motcua.integrations.models import OutboxEvent

from .facts import DossierFacts, Loader
from .models import Counter, DossierContribution
from .rules import Options, Row, contributions

logger = logging.getLogger(__name__)

Key = tuple[str, int, int, str, int]  # period, unit, procedure, key, due
RECOMPUTE_BATCH = 2000
CONSUMER = "index766"  # the outbox consumer's name (consumers.py)


def _upsert(deltas: dict[Key, int]) -> None:
    table = connection.ops.quote_name(Counter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (period, unit_id, procedure_id, key, due, count) "  # noqa: S608 - our table
            f"VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (period, unit_id, procedure_id, key, due) "
            f"DO UPDATE SET count = {table}.count + excluded.count",
            [(*key, count) for key, count in sorted(deltas.items())],
        )


def _stored(item: DossierFacts, rows: list[Row]) -> dict[str, Any]:
    """The DossierContribution row (attnames) of a dossier's counter rows."""
    return {"dossier_id": item.id, "unit_id_value": item.unit_id, "procedure_id_value": item.procedure_id,
            "rows": [list(r) for r in rows]}


def _contribute(facts: list[DossierFacts], old: dict[int, DossierContribution] | None) -> int:
    """Counter deltas and new contribution rows of these dossiers, replacing their `old` contributions (None: new
    dossiers, which have none)."""
    deltas: Tally[Key] = Tally()
    new_rows: list[dict[str, Any]] = []
    options = Options.current()
    for item in facts:
        rows = contributions(item, options)
        previous = old.pop(item.id, None) if old else None
        if previous is not None:
            for period, key, due, count in previous.rows:
                deltas[(period, previous.unit_id_value, previous.procedure_id_value, key, due)] -= count
        for period, key, due, count in rows:
            deltas[(period, item.unit_id, item.procedure_id, key, due)] += count
        new_rows.append(_stored(item, rows))
    changed = {key: count for key, count in deltas.items() if count}
    if changed:
        _upsert(changed)
        if any(count < 0 for count in changed.values()):
            for period in {key[0] for key, count in changed.items() if count < 0}:
                Counter.objects.filter(period=period, count=0).delete()
    if old is not None:
        DossierContribution.objects.filter(dossier_id__in=[c["dossier_id"] for c in new_rows]).delete()
    insert_rows(DossierContribution, new_rows)
    return len(changed)


@transaction.atomic
def apply(dossier_ids: Iterable[int], loader: Loader | None = None) -> int:
    """Replace what these dossiers contribute by what their records say now; returns the counter rows changed."""
    ids = sorted(set(dossier_ids))
    old = {c.dossier_id: c for c in DossierContribution.objects.select_for_update().filter(dossier_id__in=ids)}
    return _contribute((loader or Loader()).load(ids), old)


@transaction.atomic
def add_imported(dossiers: list[dict[str, Any]], events: list[dict[str, Any]], ratings: list[dict[str, Any]]) -> int:
    """Add the contributions of dossiers just created by a history import, from the rows it wrote (column -> value;
    they have no contributions yet: nothing to remove or lock, nothing to read back); the import calls it once a
    batch, in the batch's transaction. Returns the counter rows changed."""
    return _contribute(Loader().from_import(dossiers, events, ratings), None)


def apply_codes(codes: Iterable[str]) -> int:
    ids = list(Dossier.objects.filter(code__in=list(codes)).values_list("pk", flat=True))
    return apply(ids) if ids else 0


@transaction.atomic
def recompute(batch: int = RECOMPUTE_BATCH, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild every counter and contribution from the records, in one transaction; returns the dossiers read.

    The consumer's pending deliveries of the events already written are settled: the rebuild includes them."""
    last_event = OutboxEvent.objects.aggregate(last=Max("id"))["last"] or 0
    Counter.objects.all().delete()
    DossierContribution.objects.all().delete()
    loader = Loader()
    totals: Tally[Key] = Tally()
    done = 0
    last = 0
    while True:
        ids = list(Dossier.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            break
        last = ids[-1]
        rows: list[dict[str, Any]] = []
        options = Options.current()
        for item in loader.load(ids):
            found = contributions(item, options)
            for period, key, due, count in found:
                totals[(period, item.unit_id, item.procedure_id, key, due)] += count
            rows.append(_stored(item, found))
        insert_rows(DossierContribution, rows)
        done += len(ids)
        if progress is not None:
            progress(done)
    insert_rows(Counter, [{"period": p, "unit_id": u, "procedure_id": pr, "key": k, "due": d, "count": c}
                          for (p, u, pr, k, d), c in totals.items() if c])
    settled = outbox.settle(CONSUMER, last_event)
    logger.info("Index recomputed from %d dossiers (%d counters); %d pending deliveries settled.", done,
                len(totals), settled)
    return done
