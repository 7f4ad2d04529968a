"""What the index needs to know about a dossier, read in bulk from the records (dossiers, history, results, files,
ratings). The same loader serves the incremental consumer (one dossier) and the full recompute (thousands a batch),
so both compute from the same facts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django.db.models import Sum
from django.utils.dateparse import parse_datetime

from motcua.catalog.models import Fee, ProcedureVersion
from motcua.core.worktime import WorkCalendar
from motcua.dossiers.importing import MarksIn
from motcua.dossiers.models import Dossier, DossierFile, Event, Rating
from motcua.organization.models import Unit
from motcua.organization.queries import calendars_for
from motcua.petitions import queries as petition_queries
from motcua.results.models import Result

# Marks a history import may carry (docs/dossier-import.md, `marks`); live dossiers derive them from their records.
MARKS = tuple(MarksIn.model_fields)


@dataclass(frozen=True)
class Step:
    """One status event of the history."""

    at: datetime
    action: str
    from_status: int | None
    to_status: int
    data: dict[str, Any]


@dataclass(frozen=True)
class VersionInfo:
    paper_result: bool
    full_online: bool
    has_fee: bool
    time_limit_value: Decimal
    time_limit_unit: str


@dataclass
class DossierFacts:
    id: int
    code: str
    unit_id: int
    procedure_id: int
    channel: int
    submitted_at: datetime
    due_at: datetime | None  # the due date fixed at acceptance (later pause extensions are not applied)
    version: VersionInfo
    calendar: WorkCalendar
    steps: list[Step] = field(default_factory=list)
    marks: dict[str, bool] = field(default_factory=dict)
    result_codes: int = 0  # results issued (live or imported)
    disliked_at: datetime | None = None  # a "not satisfied" rating (or a score of 1-2), when it was given
    has_petition: bool = False  # a petition names the dossier (5.4)

    @property
    def received_at(self) -> datetime | None:
        return next((s.at for s in self.steps if s.to_status == 2 and s.from_status != 2), None)

    @property
    def last_at(self) -> datetime:
        last = self.steps[-1].at if self.steps else self.submitted_at
        return max(last, self.disliked_at) if self.disliked_at else last


# The columns the facts are made of (attnames), read by `Loader.load` or taken from the rows an import wrote.
DOSSIER_COLUMNS = ("id", "code", "receiving_unit_id", "procedure_id", "version_id", "channel", "submitted_at", "due_at",
                   "identity_verified")
EVENT_COLUMNS = ("dossier_id", "at", "action", "from_status", "to_status", "data")
RATING_COLUMNS = ("dossier_id", "score", "not_satisfied", "created_at")


class Loader:
    """Reads facts of dossiers; caches versions and unit calendars across calls (one recompute, one process)."""

    def __init__(self) -> None:
        self.versions: dict[int, VersionInfo] = {}
        self.calendars: dict[int, WorkCalendar] = {}

    def _version_infos(self, ids: set[int]) -> None:
        missing = ids - set(self.versions)
        if not missing:
            return
        fees = dict(Fee.objects.filter(version_id__in=missing).values("version_id").annotate(total=Sum("amount_vnd"))
                    .values_list("version_id", "total"))
        for vid, paper, level, value, unit in ProcedureVersion.objects.filter(pk__in=missing).values_list(
                "pk", "paper_result_required", "online_level", "time_limit_value", "time_limit_unit"):
            self.versions[vid] = VersionInfo(paper, level == "full", bool(fees.get(vid)), value, unit)

    def _calendars(self, unit_ids: set[int]) -> None:
        missing = unit_ids - set(self.calendars)
        if missing:
            self.calendars.update(calendars_for(Unit.objects.filter(pk__in=missing)))

    def load(self, ids: list[int]) -> list[DossierFacts]:
        """The facts of these dossiers, read from their records."""
        rows = list(Dossier.objects.filter(pk__in=ids).values_list(*DOSSIER_COLUMNS))
        events = Event.objects.filter(dossier_id__in=ids).order_by("dossier_id", "seq").values_list(*EVENT_COLUMNS)
        ratings = Rating.objects.filter(dossier_id__in=ids).values_list(*RATING_COLUMNS)
        facts, imported = self._facts(rows, events, ratings)
        live = [pk for pk in facts if pk not in imported]
        if live:
            for dossier_id in DossierFile.objects.filter(dossier_id__in=live).values_list("dossier_id", flat=True):
                facts[dossier_id].marks["components_have_files"] = True
        results: dict[int, int] = defaultdict(int)
        for dossier_id in Result.objects.filter(dossier_id__in=ids).values_list("dossier_id", flat=True):
            results[dossier_id] += 1
        for dossier_id, count in results.items():
            facts[dossier_id].result_codes += count
            facts[dossier_id].marks["result_file"] = True  # a Result is a signed PDF held by the system
        return [facts[pk] for pk in ids if pk in facts]

    def from_import(self, dossiers: list[dict[str, Any]], events: list[dict[str, Any]],
                    ratings: list[dict[str, Any]]) -> list[DossierFacts]:
        """The facts of dossiers a history import has just written, from the rows it wrote (column -> value, events
        in history order), as `load` would read them back: an imported dossier has no files or Result rows of its
        own (its results are in its import event)."""
        facts, _imported = self._facts(list(map(itemgetter(*DOSSIER_COLUMNS), dossiers)),
                                        map(itemgetter(*EVENT_COLUMNS), events),
                                        map(itemgetter(*RATING_COLUMNS), ratings), new=True)
        return list(facts.values())

    def _facts(self, rows: list[tuple[Any, ...]], events: Iterable[tuple[Any, ...]],
               ratings: Iterable[tuple[Any, ...]], *, new: bool = False) -> tuple[dict[int, DossierFacts], set[int]]:
        """Facts from dossier rows (DOSSIER_COLUMNS), their events in history order (EVENT_COLUMNS) and ratings
        (RATING_COLUMNS), and the petitions that name them (none can, when the dossiers are `new` in this
        transaction); also the ids of the imported ones."""
        self._version_infos({row[4] for row in rows})
        self._calendars({row[2] for row in rows})
        facts: dict[int, DossierFacts] = {}
        for pk, code, unit_id, procedure_id, version_id, channel, submitted_at, due_at, verified in rows:
            facts[pk] = DossierFacts(pk, code, unit_id, procedure_id, channel, submitted_at, due_at,
                                     self.versions[version_id], self.calendars[unit_id])
            if verified:  # a live dossier whose applicant's identity the registry or the national provider vouched
                facts[pk].marks["vneid_verified"] = True
        imported: set[int] = set()
        for dossier_id, at, action, from_status, to_status, data in events:
            item = facts[dossier_id]
            if action == "import":
                imported.add(dossier_id)
                item.marks.update({k: bool(v) for k, v in (data.get("marks") or {}).items() if k in MARKS})
                item.result_codes += len(data.get("results") or [])
                continue
            if action == "accept" and data.get("due_at"):  # a live acceptance: the due date on the slip
                item.due_at = parse_datetime(data["due_at"]) or item.due_at
            item.steps.append(Step(at, action, from_status, to_status,
                                   {k: data[k] for k in ("amount_vnd", "payment_status") if k in data}))
        for dossier_id, score, not_satisfied, created_at in ratings:
            if not_satisfied or score <= 2:
                facts[dossier_id].disliked_at = created_at
        for dossier_id in [] if new else petition_queries.dossiers_with_petitions(list(facts)):
            facts[dossier_id].has_petition = True
        return facts, imported
