"""Appending to the audit log. Every append locks the chain head in the caller's transaction."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

from django.db import transaction

from motcua.core import clock

from .models import AuditEntry, AuditHead

GENESIS = "0" * 64


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 of the previous hash and the canonical JSON of one entry's fields (keys sorted, no spaces, UTF-8)."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(prev_hash.encode("ascii") + canonical.encode("utf-8")).hexdigest()


def chained_fields(entry: AuditEntry) -> dict[str, Any]:
    """The fields the hash covers (everything but the hashes themselves); the time in UTC, as the database gives it
    back whatever zone the clock used."""
    return {
        "seq": entry.seq, "at": entry.at.astimezone(UTC).isoformat(), "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action, "object_type": entry.object_type, "object_id": entry.object_id, "ip": entry.ip,
        "data": entry.data,
    }


@transaction.atomic
def record(action: str, *, actor: Any = None, object_type: str = "", object_id: object = "", ip: str = "",
           data: dict[str, Any] | None = None) -> AuditEntry:
    """Append one event to the audit log (in the caller's transaction: it is kept only if the change is)."""
    head, _created = AuditHead.objects.select_for_update().get_or_create(id=1)
    entry = AuditEntry(
        seq=head.seq + 1, at=clock.now(), action=action, object_type=object_type, object_id=str(object_id or ""),
        ip=ip or "", data=data or {}, prev_hash=head.hash,
        actor_id=getattr(actor, "pk", None), actor_label=str(getattr(actor, "username", "") or ""),
    )
    # The JSON as the database will give it back (so the hash is computed over what is stored).
    entry.data = json.loads(json.dumps(entry.data, default=str))
    entry.hash = entry_hash(head.hash, chained_fields(entry))
    entry.save(force_insert=True)
    head.seq, head.hash = entry.seq, entry.hash
    head.save(update_fields=["seq", "hash"])
    return entry
