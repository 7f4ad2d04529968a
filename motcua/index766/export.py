"""Export of dossiers with their history in exactly the format `manage.py import_dossiers` reads
(docs/dossier-import.md), so a history can move between systems and be checked independently."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from motcua.dossiers.importing import ACTIONS, OwnerIn
from motcua.dossiers.models import Dossier, DossierFile, Event, Rating
from motcua.organization.models import Unit
from motcua.results.models import Result

from .facts import MARKS

CHUNK = 1000
OWNER_KEYS = tuple(OwnerIn.model_fields)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def dossiers(start: datetime | None = None, end: datetime | None = None, unit: Unit | None = None) -> Any:
    rows = Dossier.objects.all()
    if start is not None:
        rows = rows.filter(submitted_at__gte=start)
    if end is not None:
        rows = rows.filter(submitted_at__lte=end)
    if unit is not None:
        rows = rows.filter(receiving_unit__path__startswith=unit.path)
    return rows


def rows(queryset: Any) -> Iterator[dict[str, Any]]:
    """Import rows of the dossiers, in id order, a chunk at a time."""
    last = 0
    units = dict(Unit.objects.values_list("pk", "agency_code"))
    while True:
        chunk = list(queryset.filter(pk__gt=last).order_by("pk").select_related("procedure", "version")[:CHUNK])
        if not chunk:
            return
        last = chunk[-1].pk
        ids = [d.pk for d in chunk]
        events: dict[int, list[Event]] = defaultdict(list)
        for event in Event.objects.filter(dossier_id__in=ids).order_by("dossier_id", "seq"):
            events[event.dossier_id].append(event)
        ratings = {r.dossier_id: r for r in Rating.objects.filter(dossier_id__in=ids)}
        results: dict[int, list[Result]] = defaultdict(list)
        for result in Result.objects.filter(dossier_id__in=ids).order_by("number"):
            results[result.dossier_id].append(result)
        with_files = set(DossierFile.objects.filter(dossier_id__in=ids).values_list("dossier_id", flat=True))
        for dossier in chunk:
            yield _row(dossier, events[dossier.pk], ratings.get(dossier.pk), results[dossier.pk],
                       dossier.pk in with_files, units)


def _row(dossier: Dossier, history: list[Event], rating: Rating | None, results: list[Result], has_files: bool,
         units: dict[int, str]) -> dict[str, Any]:
    imported = next((e for e in history if e.action == "import"), None)
    out_events = []
    for event in history:
        if event.action not in ACTIONS:
            continue
        item: dict[str, Any] = {"action": event.action, "at": _iso(event.at), "from_status": event.from_status,
                                "to_status": event.to_status}
        if event.actor_name:
            item["actor"] = event.actor_name[:255]
        if event.actor_role:
            item["role"] = event.actor_role
        if event.unit_id:
            item["unit"] = units[event.unit_id]
        if event.note:
            item["note"] = event.note
        if event.to_step:
            item["step"] = event.to_step
        out_events.append(item)
    row: dict[str, Any] = {
        "code": dossier.code, "procedure": dossier.procedure.code, "procedure_version": dossier.version.number,
        "unit": units[dossier.receiving_unit_id], "channel": dossier.channel,
        "owner": {k: dossier.owner[k] for k in OWNER_KEYS if dossier.owner.get(k)},
        "form": dossier.form_data, "submitted_at": _iso(dossier.submitted_at),
    }
    row["owner"].setdefault("name", dossier.owner_name or "?")
    row["owner"].setdefault("id_number", dossier.owner_id_number)
    for name in ("accepted_at", "due_at", "finished_at", "returned_at"):
        if getattr(dossier, name) is not None:
            row[name] = _iso(getattr(dossier, name))
    accepted = next((e for e in history if e.action == "accept" and e.data.get("due_at")), None)
    if accepted is not None:  # a live dossier: the due date on the receipt slip, before any pause moved it
        row["due_at"] = _iso(datetime.fromisoformat(accepted.data["due_at"]))
    row["status"] = dossier.status
    if dossier.outcome:
        row["outcome"] = dossier.outcome
    row["events"] = out_events
    found = [{"code": r.code, "title": r.title, "issued_at": _iso(r.issued_at),
              "valid_until": r.valid_until.isoformat() if r.valid_until else None} for r in results]
    if imported is not None:
        found += imported.data.get("results") or []
        marks = imported.data.get("marks")
    else:
        marks = {"components_have_files": has_files, "result_file": bool(results)} if has_files or results else None
    if found:
        row["results"] = [{k: v for k, v in r.items() if v is not None} for r in found]
    if marks:
        row["marks"] = {k: bool(marks.get(k)) for k in MARKS}
    if rating is not None:
        row["rating"] = {"score": rating.score, "not_satisfied": rating.not_satisfied, "comment": rating.comment,
                         "at": _iso(rating.created_at)}
    return row


def lines(queryset: Any) -> Iterator[str]:
    for row in rows(queryset):
        yield json.dumps(row, ensure_ascii=False) + "\n"
