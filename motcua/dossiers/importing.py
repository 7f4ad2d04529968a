"""Import of past dossiers (paper and electronic records since 2022) with their own timestamps, history and results.

The file is JSON Lines: one dossier a line (docs/dossier-import.md describes it for people). The pydantic models below
are the rules of a row's shape; `_Checker` holds the rules across fields and against the database. Every row is
checked and every broken rule reported as `line N (code): field: message [rule]`.

Rows are written in batches, each in one transaction: a batch with any bad row writes nothing and the other batches
still go in. This is an import, not a replay: dossiers and their history rows are created directly (bulk inserts, no
live actions, no notifications), the history being what the file says; each dossier gets one more, non-public
`import` event recording the source line and the results, and one `dossier.imported` outbox event; the
`signals.dossiers_imported` signal is sent once a batch, in its transaction (the index updates its counters there).
The daily dossier sequence of each (unit, day) is raised to the highest imported number, so live codes never
collide with imported ones.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt
from pydantic import ValidationError as PydanticError

from motcua.catalog.models import Procedure, ProcedureStatus, ProcedureVersion, VersionStatus
from motcua.catalog.process import Process, process_of
from motcua.core import clock
from motcua.core.bulk_insert import insert_rows
from motcua.core.errors import FieldError
from motcua.identity.models import User
from motcua.identity.validators import citizen_id_errors, tax_code_errors
from motcua.integrations import outbox
from motcua.organization.models import Unit

from . import codes
from .actions import SPECS
from .models import Dossier, DossierSequence, Event, Outcome, Pause, Rating, Status, StepRecord
from .services import SYSTEM
from .signals import dossiers_imported

TOPIC = "dossier.imported"
DEFAULT_BATCH_SIZE = 500
ACTIONS = frozenset({"submit", *SPECS})
# Statuses after which nothing more happens to a dossier: no current step. Status 9 still waits for return_result.
TERMINAL = frozenset({Status.NOT_ACCEPTED, Status.WITHDRAWN, Status.STOPPED, Status.RETURNED})
# Which dossier timestamps a status needs and which it must not have (domain/one-stop.md, the status table).
REQUIRED_BY_STATUS: dict[str, frozenset[int]] = {
    "accepted_at": frozenset({2, 4, 6, 8, 9, 10}),
    "finished_at": frozenset({3, 7, 8, 9, 10}),
    "returned_at": frozenset({10}),
}
FORBIDDEN_BY_STATUS: dict[str, frozenset[int]] = {
    "accepted_at": frozenset({1, 3}),
    "finished_at": frozenset({1, 2, 4, 5, 6}),
    "returned_at": frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9}),
}
OUTCOME_OF_STATUS = {Status.NOT_ACCEPTED: Outcome.REFUSED, Status.WITHDRAWN: Outcome.WITHDRAWN,
                     Status.STOPPED: Outcome.STOPPED}
PAUSE_KINDS = {Status.SUPPLEMENT: "supplement", Status.PAYMENT: "payment"}

CODE = re.compile(r"^(?P<agency>[0-9A-Za-z.]{1,20})-(?P<day>\d{6})-(?P<number>\d{4,6})$")
RESULT_NUMBER = re.compile(r"^KQ[1-9]\d{0,2}$")
OLD_ID = re.compile(r"^\d{9}$")
_IN_CHUNK = 500  # values per IN (...) list: well under every database's limit on query parameters


# --- the shape of a row -------------------------------------------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


StatusNumber = Annotated[StrictInt, Field(ge=1, le=10)]


class OwnerIn(_Strict):
    name: str = Field(min_length=1, max_length=255)
    id_number: str = Field(min_length=1, max_length=20)
    address: str = Field("", max_length=500)
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)


class EventIn(_Strict):
    action: str = Field(min_length=1, max_length=40)
    at: AwareDatetime
    from_status: StatusNumber | None = None
    to_status: StatusNumber
    actor: str = Field("", max_length=255)
    role: str = Field("", max_length=20)
    unit: str = Field("", max_length=20)
    note: str = Field("", max_length=10000)
    step: str = Field("", max_length=50)


class ResultIn(_Strict):
    code: str = Field(min_length=1, max_length=60)
    title: str = Field(min_length=1, max_length=500)
    issued_at: AwareDatetime
    valid_until: date | None = None


class MarksIn(_Strict):
    """What the earlier system recorded about digitization and identity (the index, index-766 §2.5)."""

    components_have_files: bool = False
    reuses_digitized_data: bool = False
    from_personal_warehouse: bool = False
    result_file: bool = False
    result_synced_to_catalog: bool = False
    vneid_verified: bool = False


class RatingIn(_Strict):
    score: Annotated[StrictInt, Field(ge=1, le=5)]
    not_satisfied: bool = False
    comment: str = Field("", max_length=2000)
    at: AwareDatetime


class DossierIn(_Strict):
    code: str = Field(min_length=1, max_length=40)
    procedure: str = Field(min_length=1, max_length=30)
    procedure_version: Annotated[StrictInt, Field(ge=1)] | None = None
    unit: str = Field(min_length=1, max_length=20)
    channel: Annotated[StrictInt, Field(ge=1, le=3)]
    owner: OwnerIn
    form: dict[str, Any] = {}
    submitted_at: AwareDatetime
    accepted_at: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    returned_at: AwareDatetime | None = None
    status: StatusNumber
    outcome: Literal["approved", "denied", "refused", "withdrawn", "stopped"] | None = None
    events: list[EventIn] = Field(min_length=1)
    results: list[ResultIn] = []
    marks: MarksIn | None = None
    rating: RatingIn | None = None


# --- reports ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    """One broken rule of one row."""

    line: int
    code: str
    error: FieldError

    def __str__(self) -> str:
        return f"line {self.line} ({self.code or '?'}): {self.error.field}: {self.error.message} [{self.error.rule}]"


@dataclass
class BatchReport:
    number: int
    first_line: int
    last_line: int
    rows: int
    errors: list[RowError] = field(default_factory=list)
    dossiers: int = 0  # written
    events: int = 0  # written, the `import` events included

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> int:
        return len({error.line for error in self.errors})


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    batches: list[BatchReport] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(b.rows for b in self.batches)

    @property
    def dossiers(self) -> int:
        return sum(b.dossiers for b in self.batches)

    @property
    def events(self) -> int:
        return sum(b.events for b in self.batches)

    @property
    def errors(self) -> list[RowError]:
        return [error for b in self.batches for error in b.errors]

    @property
    def bad_rows(self) -> int:
        return sum(b.bad_rows for b in self.batches)

    @property
    def failed_batches(self) -> list[BatchReport]:
        return [b for b in self.batches if not b.ok]


# --- reading ------------------------------------------------------------------------------------------------------

def numbered_lines(lines: Iterable[str | bytes]) -> Iterator[tuple[int, str | None]]:
    """(line number, text) of each non-blank line; text None when the line is not UTF-8."""
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield number, None
                continue
        text = raw.lstrip("\ufeff") if number == 1 else raw
        if text.strip():
            yield number, text


def import_file(path: Path | str, *, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False,
                on_batch: Callable[[BatchReport], None] | None = None) -> ImportReport:
    """Import a JSON Lines file of past dossiers; see `import_lines`."""
    path = Path(path)
    with path.open("rb") as handle:
        return import_lines(handle, source=path.name, batch_size=batch_size, dry_run=dry_run, on_batch=on_batch)


def import_lines(lines: Iterable[str | bytes], *, source: str = "", batch_size: int = DEFAULT_BATCH_SIZE,
                 dry_run: bool = False, on_batch: Callable[[BatchReport], None] | None = None) -> ImportReport:
    """Check every row and write the batches (of `batch_size` rows) that have no bad row, each in one transaction.

    With `dry_run`, check everything and write nothing. `on_batch` is called after each batch (progress output).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    checker = _Checker(source)
    report = ImportReport(source=source, dry_run=dry_run)
    batch: list[tuple[int, str | None]] = []

    def flush() -> None:
        result = checker.batch(len(report.batches) + 1, batch, dry_run=dry_run)
        report.batches.append(result)
        if on_batch is not None:
            on_batch(result)
        batch.clear()

    with _fewer_collections():
        for item in numbered_lines(lines):
            batch.append(item)
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
    return report


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while importing: a batch allocates hundreds of thousands of
    long-lived small objects (rows, plans, facts), and the default threshold (700) made the young-generation
    collections a large share of an import's time. Reference counting still frees everything as usual."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], 100_000), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


# --- checking -----------------------------------------------------------------------------------------------------

@dataclass
class _Plan:
    """A valid row and what it refers to, ready to be written."""

    line: int
    row: DossierIn
    unit: Unit
    procedure: Procedure
    version: ProcedureVersion
    number: int
    day: date
    current_unit: Unit
    current_step: str = ""
    current_role: str = ""
    applicant: User | None = None


@dataclass
class _ProcedureInfo:
    procedure: Procedure
    versions: dict[int, ProcedureVersion]

    def in_force_at(self, instant: datetime) -> ProcedureVersion:
        """The version published last before `instant`; else the version in force now (else the newest)."""
        before = [v for v in self.versions.values() if v.published_at is not None and v.published_at <= instant]
        if before:
            return max(before, key=lambda v: v.number)
        current = next((v for v in self.versions.values() if v.pk == self.procedure.current_version_id), None)
        return current or self.versions[max(self.versions)]


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start:start + _IN_CHUNK]


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "row"


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


class _Checker:
    """Checks batches of rows and writes the good ones; remembers, across batches, the codes seen in the file and
    the units, procedures and process definitions it has loaded."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.seen: dict[str, int] = {}  # code -> first line it appears on
        self.units: dict[str, Unit | None] = {}
        self.procedures: dict[str, _ProcedureInfo | None] = {}
        self.processes: dict[int, Process] = {}
        self.zone = timezone.get_current_timezone()

    # one batch ---------------------------------------------------------------------------------------------------

    def batch(self, number: int, items: list[tuple[int, str | None]], *, dry_run: bool) -> BatchReport:
        report = BatchReport(number=number, first_line=items[0][0], last_line=items[-1][0], rows=len(items))
        parsed: list[tuple[int, str, DossierIn | None]] = []
        for line, text in items:
            code, row, errors = self._parse(text)
            report.errors += [RowError(line, code, error) for error in errors]
            parsed.append((line, code, row))
        existing = self._existing_codes([code for _line, code, _row in parsed if code])
        rows = [row for _line, _code, row in parsed if row is not None]
        self._load_units({row.unit for row in rows} | {e.unit for row in rows for e in row.events if e.unit})
        self._load_procedures({row.procedure for row in rows})
        users = self._users({row.owner.id_number for row in rows})
        now = clock.now()
        plans = []
        for line, code, row in parsed:
            errors = self._code_errors(line, code, existing)
            plan = None
            if row is not None:
                plan, more = self._check(line, row, users, now)
                errors += more
            report.errors += [RowError(line, code, error) for error in errors]
            if plan is not None and not errors:
                plans.append(plan)
        report.errors.sort(key=lambda e: e.line)
        if report.errors or dry_run:
            return report
        try:
            with transaction.atomic():
                report.dossiers, report.events = self._write(plans, now)
        except IntegrityError as exc:  # a live submission took a code between the check and the write
            report.dossiers = report.events = 0
            report.errors.append(RowError(report.first_line, "", FieldError(
                "batch", "database", _("The database refused the batch (%(error)s); nothing of it was written.")
                % {"error": exc})))
        return report

    def _parse(self, text: str | None) -> tuple[str, DossierIn | None, list[FieldError]]:
        if text is None:
            return "", None, [FieldError("row", "encoding", _("The line is not UTF-8 text."))]
        try:  # a good row: parsed and checked in one pass by pydantic-core
            row = DossierIn.model_validate_json(text)
            return row.code, row, []
        except PydanticError:
            pass  # read it again below, to report every broken rule as a field error
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            return "", None, [FieldError("row", "json", _("The line is not JSON (%(error)s).") % {"error": exc})]
        if not isinstance(raw, dict):
            return "", None, [FieldError("row", "object_type", _("Each line must be one JSON object."))]
        code = raw.get("code") if isinstance(raw.get("code"), str) else ""
        errors = []
        if "late" in raw:
            errors.append(FieldError("late", "computed", _("late is computed (finished_at after due_at): leave it "
                                                           "out.")))
        try:
            row = DossierIn.model_validate(raw)
        except PydanticError as exc:
            for problem in exc.errors(include_url=False):
                if problem["loc"] == ("late",):
                    continue
                errors.append(FieldError(_path(problem["loc"]), problem["type"], problem["msg"]))
            return code.strip(), None, errors
        return row.code, (None if errors else row), errors

    def _code_errors(self, line: int, code: str, existing: set[str]) -> list[FieldError]:
        if not code:
            return []
        first = self.seen.setdefault(code, line)
        if first != line:
            return [FieldError("code", "repeated", _("The code appears more than once in the file (first on line "
                                                     "%(line)d).") % {"line": first})]
        if code in existing:
            return [FieldError("code", "exists", _("A dossier with this code already exists."))]
        return []

    # look-ups, a few queries a batch -----------------------------------------------------------------------------

    def _existing_codes(self, codes_: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(codes_):
            found.update(Dossier.objects.filter(code__in=chunk).values_list("code", flat=True))
        return found

    def _load_units(self, agency_codes: set[str]) -> None:
        missing = agency_codes - set(self.units)
        for chunk in _chunks(missing):
            # Inactive units included: history names units that were merged or closed since.
            self.units.update({u.agency_code: u for u in Unit.objects.filter(agency_code__in=chunk)})
        self.units.update({code: None for code in missing if code not in self.units})

    def _load_procedures(self, procedure_codes: set[str]) -> None:
        missing = procedure_codes - set(self.procedures)
        for chunk in _chunks(missing):
            procedures = {p.pk: p for p in Procedure.objects.filter(
                code__in=chunk, status__in=[ProcedureStatus.PUBLISHED, ProcedureStatus.ABOLISHED])}
            versions = ProcedureVersion.objects.filter(
                procedure_id__in=procedures, status__in=[VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED])
            infos: dict[int, _ProcedureInfo] = {}
            for version in versions:
                procedure = procedures[version.procedure_id]
                version.procedure = procedure
                infos.setdefault(procedure.pk, _ProcedureInfo(procedure, {})).versions[version.number] = version
            self.procedures.update({info.procedure.code: info for info in infos.values()})
        self.procedures.update({code: None for code in missing if code not in self.procedures})

    def _users(self, id_numbers: set[str]) -> dict[str, User]:
        """Accounts by national ID or tax code (a national ID match wins, as at submission)."""
        by_tax: dict[str, User] = {}
        by_id: dict[str, User] = {}
        for chunk in _chunks(id_numbers):
            for user in User.objects.filter(Q(national_id__in=chunk) | Q(tax_code__in=chunk)):
                if user.national_id:
                    by_id[user.national_id] = user
                if user.tax_code:
                    by_tax[user.tax_code] = user
        return {**by_tax, **by_id}

    def _process(self, version: ProcedureVersion) -> Process:
        if version.pk not in self.processes:
            self.processes[version.pk] = process_of(version.process)
        return self.processes[version.pk]

    # the rules of one row ----------------------------------------------------------------------------------------

    def _check(self, line: int, row: DossierIn, users: dict[str, User], now: datetime
               ) -> tuple[_Plan | None, list[FieldError]]:
        errors: list[FieldError] = []
        day, number = self._check_code(row, errors)
        unit = self.units.get(row.unit)
        if unit is None:
            errors.append(FieldError("unit", "exists", _("No unit has this agency code.")))
        version = self._check_procedure(row, errors)
        errors += _id_number_errors(row.owner.id_number)
        _check_times(row, now, errors)
        _check_outcome(row, errors)
        _check_events(row, self.units, errors)
        _check_results(row, now, errors)
        _check_rating(row, now, errors)
        if errors or unit is None or version is None or day is None:
            return None, errors
        last = row.events[-1]
        plan = _Plan(line=line, row=row, unit=unit, procedure=version.procedure, version=version, number=number,
                     day=day, current_unit=(self.units.get(last.unit) or unit) if last.unit else unit,
                     applicant=users.get(row.owner.id_number))
        plan.current_step, plan.current_role = _current_step(row, self._process(version), errors)
        return (None if errors else plan), errors

    def _check_code(self, row: DossierIn, errors: list[FieldError]) -> tuple[date | None, int]:
        match = CODE.match(row.code)
        day = None
        if match:
            try:
                text = match["day"]
                day = date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))
            except ValueError:
                match = None
        if not match or day is None or int(match["number"]) == 0:
            errors.append(FieldError("code", "format", _("The code must be AGENCY-YYMMDD-NNNN, e.g. "
                                                         "000.05.12.H26-230315-0007 (number from 0001).")))
            return None, 0
        if match["agency"] != row.unit:
            errors.append(FieldError("code", "agency", _("The code starts with %(agency)s but unit is %(unit)s.")
                                     % {"agency": match["agency"], "unit": row.unit}))
        local_day = row.submitted_at.astimezone(self.zone).date()
        if day != local_day:
            errors.append(FieldError("code", "date", _("The code's date %(code_day)s is not the local date of "
                                                       "submitted_at (%(day)s).")
                                     % {"code_day": match["day"], "day": f"{local_day:%y%m%d}"}))
        return day, int(match["number"])

    def _check_procedure(self, row: DossierIn, errors: list[FieldError]) -> ProcedureVersion | None:
        info = self.procedures.get(row.procedure)
        if info is None:
            errors.append(FieldError("procedure", "exists", _("No published or abolished procedure has this code.")))
            return None
        if row.procedure_version is None:
            return info.in_force_at(row.submitted_at)
        version = info.versions.get(row.procedure_version)
        if version is None:
            errors.append(FieldError("procedure_version", "exists",
                                     _("The procedure has no published version with this number.")))
        return version

    # writing -------------------------------------------------------------------------------------------------

    def _write(self, plans: list[_Plan], now: datetime) -> tuple[int, int]:
        _raise_sequences(plans)
        dossiers = [_dossier(plan) for plan in plans]
        insert_rows(Dossier, dossiers)
        ids: dict[str, int] = {}
        for chunk in _chunks(d["code"] for d in dossiers):
            ids.update(Dossier.objects.filter(code__in=chunk).values_list("code", "pk"))
        events: list[dict[str, Any]] = []
        pauses: list[dict[str, Any]] = []
        steps: list[dict[str, Any]] = []
        ratings: list[dict[str, Any]] = []
        for plan, dossier in zip(plans, dossiers, strict=True):
            dossier["id"] = ids[dossier["code"]]
            events += self._events(plan, dossier, now)
            pauses += _pauses(plan, dossier)
            steps += self._steps(plan, dossier)
            if plan.row.rating is not None:
                ratings.append({"dossier_id": dossier["id"], "score": plan.row.rating.score,
                                "comment": plan.row.rating.comment, "not_satisfied": plan.row.rating.not_satisfied,
                                "created_at": plan.row.rating.at})
        insert_rows(Event, events)
        insert_rows(Pause, pauses)
        insert_rows(StepRecord, steps)
        insert_rows(Rating, ratings)
        outbox.emit_many(TOPIC, [(d["code"], {
            "code": d["code"], "status": d["status"], "procedure_code": plan.procedure.code,
            "unit": plan.unit.agency_code, "submitted_at": _iso(d["submitted_at"]),
            "finished_at": _iso(d["finished_at"]), "due_at": _iso(d["due_at"]), "late": d["late"],
            "channel": d["channel"], "outcome": d["outcome"],
            "accepted_at": _iso(d["accepted_at"]), "returned_at": _iso(d["returned_at"]),
        }) for plan, d in zip(plans, dossiers, strict=True)])
        dossiers_imported.send(sender=_Checker, dossier_ids=[d["id"] for d in dossiers], dossiers=dossiers,
                               events=events, ratings=ratings)
        return len(dossiers), len(events)

    def _events(self, plan: _Plan, dossier: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
        out = []
        step = ""
        for seq, item in enumerate(plan.row.events, start=1):
            out.append({
                "dossier_id": dossier["id"], "seq": seq, "action": item.action, "actor_id": None,
                "actor_name": item.actor, "actor_role": item.role,
                "unit_id": (self.units[item.unit] if item.unit else plan.unit).pk, "at": item.at,
                "from_status": item.from_status, "to_status": item.to_status, "from_step": step,
                "to_step": item.step, "note": item.note, "data": {}, "public": True,
            })
            step = item.step
        data: dict[str, Any] = {"source": self.source, "line": plan.line}
        if plan.row.results:
            data["results"] = [{"code": r.code, "title": r.title, "issued_at": _iso(r.issued_at),
                                "valid_until": r.valid_until.isoformat() if r.valid_until else None}
                               for r in plan.row.results]
        if plan.row.marks is not None:
            data["marks"] = plan.row.marks.model_dump()
        out.append({
            "dossier_id": dossier["id"], "seq": len(out) + 1, "action": "import", "actor_id": None,
            "actor_name": SYSTEM.name, "actor_role": SYSTEM.role, "unit_id": plan.current_unit.pk, "at": now,
            "from_status": dossier["status"], "to_status": dossier["status"], "from_step": step,
            "to_step": dossier["current_step"], "note": "", "data": data, "public": False,
        })
        return out

    def _steps(self, plan: _Plan, dossier: dict[str, Any]) -> list[dict[str, Any]]:
        """The passes through steps that the events name (the processing control slip), the last one open while
        the dossier still has a current step."""
        out: list[dict[str, Any]] = []

        def add(step: str, at: datetime, unit: Unit) -> None:
            out.append({"dossier_id": dossier["id"], "step": step, "unit_id": unit.pk, "started_at": at,
                        "due_at": None, "finished_at": None, "finished_by_id": None})

        for item in plan.row.events:
            if item.step and (not out or out[-1]["step"] != item.step):
                if out:
                    out[-1]["finished_at"] = item.at
                add(item.step, item.at, self.units[item.unit] if item.unit else plan.unit)
        last = plan.row.events[-1]
        current = dossier["current_step"]
        if current and (not out or out[-1]["step"] != current):
            if out:  # a step the file leaves out but the status implies (e.g. return, for status 9)
                out[-1]["finished_at"] = last.at
            add(current, last.at, plan.current_unit)
        elif out and not current:
            out[-1]["finished_at"] = out[-1]["finished_at"] or last.at
        return out


# --- rules that need no database ----------------------------------------------------------------------------------

def _id_number_errors(number: str) -> list[FieldError]:
    """A 12-digit citizen ID (CCCD), a 9-digit old ID card number, or a tax code."""
    where = "owner.id_number"
    if len(number) == 12 and number.isdigit():
        return citizen_id_errors(number, field=where)
    if OLD_ID.match(number) or not tax_code_errors(number):
        return []
    return [FieldError(where, "format", _("The identity number must be a 12-digit citizen ID, a 9-digit old ID or a "
                                          "tax code (10 digits, or 10-3 digits for a branch)."))]


def _check_times(row: DossierIn, now: datetime, errors: list[FieldError]) -> None:
    chain = [(name, getattr(row, name)) for name in ("submitted_at", "accepted_at", "finished_at", "returned_at")]
    present = [(name, value) for name, value in chain if value is not None]
    for (before, earlier), (name, value) in zip(present, present[1:], strict=False):
        if value < earlier:
            errors.append(FieldError(name, "order", _("%(name)s must not be before %(before)s.")
                                     % {"name": name, "before": before}))
    for name, value in present:
        if value > now:
            errors.append(FieldError(name, "future", _("This time is in the future.")))
    if row.due_at is not None and row.accepted_at is not None and row.due_at < row.accepted_at:
        errors.append(FieldError("due_at", "order", _("due_at must not be before accepted_at.")))
    if row.due_at is not None and row.accepted_at is None:
        errors.append(FieldError("due_at", "without_accepted", _("A due date is fixed at acceptance: give "
                                                                 "accepted_at too, or leave due_at out.")))
    label = Status(row.status).label
    for name, statuses in REQUIRED_BY_STATUS.items():
        if row.status in statuses and getattr(row, name) is None:
            errors.append(FieldError(name, "required_by_status", _("Status %(status)d (%(label)s) needs %(name)s.")
                                     % {"status": row.status, "label": label, "name": name}))
    for name, statuses in FORBIDDEN_BY_STATUS.items():
        if row.status in statuses and getattr(row, name) is not None:
            errors.append(FieldError(name, "not_allowed_by_status",
                                     _("A dossier in status %(status)d (%(label)s) has no %(name)s.")
                                     % {"status": row.status, "label": label, "name": name}))
    last = row.events[-1].at
    for name, value in present[1:]:
        if value > last:
            errors.append(FieldError(name, "after_last_event", _("%(name)s is after the last event: the history "
                                                                 "must record it.") % {"name": name}))


def _check_outcome(row: DossierIn, errors: list[FieldError]) -> None:
    expected = OUTCOME_OF_STATUS.get(Status(row.status))
    if expected is not None:
        if row.outcome not in (None, expected):
            errors.append(FieldError("outcome", "status", _("Status %(status)d has outcome %(outcome)s.")
                                     % {"status": row.status, "outcome": expected.value}))
    elif row.status in (Status.PROCESSED, Status.RETURNED):
        if row.outcome not in (Outcome.APPROVED, Outcome.DENIED):
            errors.append(FieldError("outcome", "required_by_status" if row.outcome is None else "status",
                                     _("A processed or returned dossier has outcome approved or denied.")))
    elif row.outcome is not None:
        errors.append(FieldError("outcome", "status", _("A dossier still in progress has no outcome.")))


def _check_events(row: DossierIn, units: dict[str, Unit | None], errors: list[FieldError]) -> None:
    previous: EventIn | None = None
    for index, item in enumerate(row.events):
        where = f"events[{index}]"
        if item.action not in ACTIONS:
            errors.append(FieldError(f"{where}.action", "choice", _("Unknown action; one of: %(actions)s.")
                                     % {"actions": ", ".join(sorted(ACTIONS))}))
        if item.unit and units.get(item.unit) is None:
            errors.append(FieldError(f"{where}.unit", "exists", _("No unit has this agency code.")))
        if previous is None:
            if item.at < row.submitted_at:
                errors.append(FieldError(f"{where}.at", "before_submitted",
                                         _("The first event must not be before submitted_at.")))
            if item.from_status is not None:
                errors.append(FieldError(f"{where}.from_status", "chain",
                                         _("The first event starts from no status: from_status null.")))
        else:
            if item.at < previous.at:
                errors.append(FieldError(f"{where}.at", "order",
                                         _("Events must be in time order: this one is before the one above.")))
            if item.from_status != previous.to_status:
                errors.append(FieldError(f"{where}.from_status", "chain",
                                         _("from_status must equal the previous event's to_status (%(status)d).")
                                         % {"status": previous.to_status}))
        previous = item
    if row.events[-1].to_status != row.status:
        errors.append(FieldError("status", "last_event", _("status must equal the last event's to_status "
                                                           "(%(status)d).") % {"status": row.events[-1].to_status}))


def _check_results(row: DossierIn, now: datetime, errors: list[FieldError]) -> None:
    if row.results and row.status not in (Status.PROCESSED, Status.RETURNED):
        errors.append(FieldError("results", "status", _("Only a processed (9) or returned (10) dossier has results.")))
    seen: set[str] = set()
    for index, result in enumerate(row.results):
        where = f"results[{index}]"
        prefix, _sep, suffix = result.code.rpartition("-")
        if prefix != row.code or not RESULT_NUMBER.match(suffix):
            errors.append(FieldError(f"{where}.code", "format", _("A result code is the dossier code, -KQ and the "
                                                                  "result's number: %(code)s-KQ1.")
                                     % {"code": row.code}))
        elif result.code in seen:
            errors.append(FieldError(f"{where}.code", "repeated", _("The result code appears twice.")))
        seen.add(result.code)
        if result.issued_at < row.submitted_at:
            errors.append(FieldError(f"{where}.issued_at", "order", _("issued_at must not be before submitted_at.")))
        if result.issued_at > now:
            errors.append(FieldError(f"{where}.issued_at", "future", _("This time is in the future.")))
        if result.valid_until is not None and result.valid_until < timezone.localtime(result.issued_at).date():
            errors.append(FieldError(f"{where}.valid_until", "order",
                                     _("valid_until must not be before the day of issue.")))


def _check_rating(row: DossierIn, now: datetime, errors: list[FieldError]) -> None:
    if row.rating is None:
        return
    if row.finished_at is None:
        errors.append(FieldError("rating", "status", _("Only a finished dossier is rated.")))
    elif row.rating.at < row.finished_at:
        errors.append(FieldError("rating.at", "order", _("A rating is given after the dossier is finished.")))
    if row.rating.at > now:
        errors.append(FieldError("rating.at", "future", _("This time is in the future.")))


def _current_step(row: DossierIn, process: Process, errors: list[FieldError]) -> tuple[str, str]:
    """The step an unfinished dossier is in: the last event's `step`; for statuses 1, 2 and 9 it may be left out."""
    if row.status in TERMINAL:
        return "", ""
    where = f"events[{len(row.events) - 1}].step"
    code = row.events[-1].step
    if not code:
        if row.status == Status.NEW:
            code = process.first.code
        elif row.status == Status.ACCEPTED and len(targets := process.first.next_steps("accept")) == 1:
            code = targets[0] or ""
        elif row.status == Status.PROCESSED:
            code = next((s.code for s in process.steps if "return_result" in s.actions), "")
    if not code:
        errors.append(FieldError(where, "required", _("A dossier still in progress needs the step it is in, so "
                                                      "officers can continue it.")))
        return "", ""
    step = process.step(code)
    if step is None:
        errors.append(FieldError(where, "exists", _("The process of the procedure version has no step %(step)s "
                                                    "(steps: %(steps)s).")
                                 % {"step": code, "steps": ", ".join(s.code for s in process.steps)}))
        return "", ""
    return step.code, step.role


# --- building rows ------------------------------------------------------------------------------------------------

def _dossier(plan: _Plan) -> dict[str, Any]:
    """The dossier's columns (attname -> value)."""
    row = plan.row
    finished = row.finished_at
    late = finished > row.due_at if finished is not None and row.due_at is not None else None
    paused = row.status in PAUSE_KINDS
    verified = bool(row.marks and row.marks.vneid_verified)
    return dict(
        code=row.code, lookup_key=codes.new_lookup_key(), procedure_id=plan.procedure.pk, version_id=plan.version.pk,
        applicant_id=plan.applicant.pk if plan.applicant else None, submitted_by_id=None,
        owner=row.owner.model_dump(), owner_id_number=row.owner.id_number, owner_name=row.owner.name,
        channel=row.channel, receiving_unit_id=plan.unit.pk, current_unit_id=plan.current_unit.pk,
        # The earlier system's mark: verified through the national identity system (VNeID) at submission.
        identity_verified=verified, identity_method="oidc" if verified else "none",
        identity_verified_at=row.submitted_at if verified else None,
        status=row.status, current_step=plan.current_step, current_role=plan.current_role, form_data=row.form,
        revision=1, submitted_at=row.submitted_at, accepted_at=row.accepted_at, due_at=row.due_at, step_due_at=None,
        paused_since=row.events[-1].at if paused else None,
        resume_status=row.events[-1].from_status if paused else None,
        finished_at=finished, returned_at=row.returned_at,
        outcome=row.outcome or OUTCOME_OF_STATUS.get(Status(row.status), ""), late=late,
        supplement_requests=sum(1 for e in row.events if e.action == "request_supplement"),
        apologies=sum(1 for e in row.events if e.action == "apology"),
        idempotency_key=None, request_hash="", updated_at=row.events[-1].at,
    )


def _pauses(plan: _Plan, dossier: dict[str, Any]) -> list[dict[str, Any]]:
    """Time waiting for the applicant, from the events entering and leaving statuses 5 and 6."""
    out: list[dict[str, Any]] = []
    for item in plan.row.events:
        if out and out[-1]["ended_at"] is None and item.to_status != item.from_status \
                and item.from_status in PAUSE_KINDS:
            out[-1]["ended_at"] = item.at
        if item.to_status in PAUSE_KINDS and item.to_status != item.from_status:
            out.append({"dossier_id": dossier["id"], "kind": PAUSE_KINDS[Status(item.to_status)],
                        "started_at": item.at, "ended_at": None})
    return out


def _raise_sequences(plans: list[_Plan]) -> None:
    """Raise each (unit, day) sequence to at least the highest imported number, atomically (upsert)."""
    highest: dict[tuple[int, date], int] = {}
    for plan in plans:
        key = (plan.unit.pk, plan.day)
        highest[key] = max(highest.get(key, 0), plan.number)
    if not highest:
        return
    table = connection.ops.quote_name(DossierSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (unit_id, day, last) VALUES (%s, %s, %s) "  # noqa: S608 - table name is ours
            f"ON CONFLICT (unit_id, day) DO UPDATE SET last = "
            f"CASE WHEN {table}.last < excluded.last THEN excluded.last ELSE {table}.last END",
            [(unit_id, day, number) for (unit_id, day), number in sorted(highest.items())],
        )
