"""Signals of the dossiers app, for apps that keep derived state in the same transaction as the records.

`dossiers_imported` is sent by the history import (`importing`) once per written batch, inside the batch's
transaction, with `dossier_ids`: the ids of the dossiers just created, and the rows written for them (`dossiers`,
`events` in history order, `ratings`: column attname -> value, as inserted), so that receivers need not read them
back. A receiver that raises rolls the batch back.
Derived state kept this way (the index counters) is up to date when the batch commits, without one outbox delivery
per imported dossier.
"""

from __future__ import annotations

from django.dispatch import Signal

dossiers_imported = Signal()
