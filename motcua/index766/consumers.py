"""The outbox consumer that keeps the index counters up to date (one delta per event on a dossier).

It reads every topic that changes what a dossier contributes: its status changes and other actions
(`dossier.status_changed`, `dossier.updated`), ratings (`dossier.rated`), electronic
results (`result.issued`, `result.cancelled`, keyed by the result code: the payload names the dossier) and petitions
about a dossier (`petition.changed`, payload `dossier`). Handling an
event twice, or out of order, gives the same counters: the dossier's contribution is recomputed from its records.

History imports are not read from the outbox: the import sends `dossiers.signals.dossiers_imported` once a batch and
`imported` applies the whole batch in the import's transaction (a few queries a batch instead of a delivery and a
dossier's read per imported dossier).
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from motcua.dossiers.signals import dossiers_imported
from motcua.integrations.models import OutboxEvent
from motcua.integrations.outbox import consumer

from . import services

TOPICS = ["dossier.status_changed", "dossier.updated", "dossier.rated", "result.issued", "result.cancelled",
          "petition.changed"]


@consumer(services.CONSUMER, topics=TOPICS)
def update_counters(event: OutboxEvent) -> None:
    payload = event.payload if isinstance(event.payload, dict) else {}
    if event.topic.startswith("result."):
        code = payload.get("dossier_code")
    elif event.topic.startswith("petition."):
        code = payload.get("dossier")  # a petition about a dossier counts against it in 5.4
    else:
        code = event.key
    if code:
        services.apply_codes([code])


@receiver(dossiers_imported, dispatch_uid="index766.imported")
def imported(sender: Any, dossiers: list[dict[str, Any]], events: list[dict[str, Any]],
             ratings: list[dict[str, Any]], **kwargs: Any) -> None:
    """Counters of a batch of imported dossiers, in the import's transaction, from the rows the import wrote."""
    services.add_imported(dossiers, events, ratings)
