"""The workload simulator: a realistic year of dossiers written through the history import
(`dossiers.importing.import_lines`: the same checks and writes as `manage.py import_dossiers`, in large batches).

A profile (JSON, `profiles/<name>.json`) gives the year, the number of dossiers, the share settled early or on time,
the shares of refusals, withdrawals, supplements, payments, digitization marks and ratings, and the weight of each
month. Counts are exact (rounded once), not sampled, so the index reads the profile's figures back: the volume of the
year is `dossiers × scale` and the 2.1 rate is `on_time_rate` within rounding.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from motcua.catalog.models import Procedure, ProcedureStatus
from motcua.core.worktime import WorkCalendar
from motcua.dossiers.importing import BatchReport, ImportReport, import_lines
from motcua.organization.models import Unit
from motcua.organization.queries import calendar_for

from .facts import MARKS
from .periods import VN

PROFILES = Path(__file__).resolve().parent / "profiles"


def load_profile(name_or_path: str) -> dict[str, Any]:
    path = Path(name_or_path)
    if not path.suffix:
        path = PROFILES / f"{name_or_path}.json"
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class Plan:
    """What one dossier will be: its procedure, unit, day and fate."""

    procedure: Procedure
    unit: Unit
    day: date
    fate: str = "approved"  # approved, refused, withdrawn
    late: bool = False
    supplements: int = 0
    payment: bool = False


def _exact(rng: random.Random, population: list[Any], share: float) -> set[int]:
    """Exactly round(share × n) indices of `population`, chosen at random."""
    count = min(len(population), round(share * len(population)))
    return set(rng.sample(range(len(population)), count))


class Simulator:
    def __init__(self, profile: dict[str, Any], *, scale: float = 1.0, seed: int = 2024) -> None:
        self.profile = profile
        self.scale = scale
        self.rng = random.Random(seed)
        self.year = int(profile["year"])
        self.total = round(profile["dossiers"] * scale)
        self.units = list(Unit.objects.filter(is_active=True).order_by("path"))
        self.calendars: dict[int, WorkCalendar] = {u.pk: calendar_for(u) for u in self.units}
        procedures = Procedure.objects.filter(status=ProcedureStatus.PUBLISHED).select_related("current_version")
        self.procedures = [p for p in procedures if p.current_version and p.current_version.online_level != "none"]
        if not self.units or not self.procedures:
            raise ValueError("The simulator needs units and published online procedures (manage.py load_demo).")
        self.sequence: dict[tuple[str, date], int] = {}

    # planning ----------------------------------------------------------------------------------------------------

    def _days(self) -> list[date]:
        """One submission day per dossier: months by the profile's weights (exact counts), working days within."""
        weights = self.profile["months"]
        counts = [int(self.total * w / sum(weights)) for w in weights]
        for index in sorted(range(12), key=lambda i: -weights[i])[: self.total - sum(counts)]:
            counts[index] += 1
        calendar = WorkCalendar()
        days: list[date] = []
        for month, count in enumerate(counts, start=1):
            first = date(self.year, month, 1)
            month_days = [first + timedelta(days=d) for d in range(31) if (first + timedelta(days=d)).month == month]
            working = [d for d in month_days if calendar.is_working_day(d)] or month_days
            days += [self.rng.choice(working) for _ in range(count)]
        return sorted(days)

    def _weight(self, procedure: Procedure) -> float:
        weights = self.profile.get("procedure_weights", {})
        return max(float(weights.get(f"level:{level}", 1)) for level in procedure.current_version.levels)

    def plans(self) -> list[Plan]:
        by_level: dict[str, list[Unit]] = {}
        for unit in self.units:
            by_level.setdefault(unit.level, []).append(unit)
        procedures = [p for p in self.procedures if any(by_level.get(lv) for lv in p.current_version.levels)]
        weights = [self._weight(p) for p in procedures]
        plans = []
        for day in self._days():
            procedure = self.rng.choices(procedures, weights)[0]
            units = [u for lv in procedure.current_version.levels for u in by_level.get(lv, [])]
            plans.append(Plan(procedure, self.rng.choice(units), day))
        shares = self.profile["shares"]
        for index in _exact(self.rng, plans, shares["refused"]):
            plans[index].fate = "refused"
        received = [p for p in plans if p.fate != "refused"]
        for index in _exact(self.rng, received, shares["withdrawn"]):
            received[index].fate = "withdrawn"
        approved = [p for p in received if p.fate == "approved"]
        for index in _exact(self.rng, approved, shares["supplement"]):
            approved[index].supplements = 1
        once = [p for p in approved if p.supplements]
        for index in _exact(self.rng, once, shares["second_supplement"] / max(shares["supplement"], 1e-9)):
            once[index].supplements = 2
        for index in _exact(self.rng, approved, shares["payment"]):
            approved[index].payment = True
        # Late ones are decided, among approved dossiers received by early December, so that they are late whatever
        # the cut-off of the year: exactly round(received × (1 - on_time_rate)).
        late_count = round(len(received) * (1 - float(self.profile["on_time_rate"])))
        eligible = [p for p in approved if p.day < date(self.year, 12, 1)]
        for plan in self.rng.sample(eligible, min(late_count, len(eligible))):
            plan.late = True
        return plans

    # rows --------------------------------------------------------------------------------------------------------

    def _code(self, unit: Unit, day: date) -> str:
        key = (unit.agency_code, day)
        self.sequence[key] = self.sequence.get(key, 0) + 1
        return f"{unit.agency_code}-{day:%y%m%d}-{self.sequence[key]:04d}"

    def _owner(self) -> dict[str, str]:
        birth = self.rng.randint(0, 6)
        return {"name": "Công dân mô phỏng", "id_number": f"0012{birth:02d}{self.rng.randint(0, 999999):06d}"}

    def row(self, plan: Plan) -> dict[str, Any]:
        rng = self.rng
        calendar = self.calendars[plan.unit.pk]
        version = plan.procedure.current_version
        submitted = datetime.combine(plan.day, time(7, 30), tzinfo=VN) + timedelta(minutes=rng.randint(0, 540))
        code = self._code(plan.unit, plan.day)
        events: list[dict[str, Any]] = []

        def event(action: str, at: datetime, to: int, step: str = "") -> None:
            item = {"action": action, "at": at.isoformat(), "from_status": events[-1]["to_status"] if events
                    else None, "to_status": to}
            if step:
                item["step"] = step
            events.append(item)

        event("submit", submitted, 1, "receive")
        row: dict[str, Any] = {"code": code, "procedure": plan.procedure.code, "unit": plan.unit.agency_code,
                               "channel": int(self.profile.get("channel", 2)), "owner": self._owner(),
                               "submitted_at": submitted.isoformat()}
        if plan.fate == "refused":
            refused = submitted + timedelta(hours=rng.randint(1, 20))
            event("refuse", refused, 3)
            row.update({"finished_at": refused.isoformat(), "status": 3, "outcome": "refused", "events": events})
            return row
        accepted = submitted + timedelta(minutes=rng.randint(10, 240))
        due = calendar.due_at(accepted, version.time_limit_value, version.time_limit_unit)
        span = max(due - accepted, timedelta(minutes=30))
        now = accepted
        event("accept", accepted, 2, "appraise")
        paused = timedelta(0)  # calendar time waiting for the applicant
        waited = timedelta(0)  # working time waiting: moves the due date on (index-766 §3, as rules.effective_due)
        for _ in range(plan.supplements):
            asked = now + span * 0.05
            done = asked + timedelta(days=rng.randint(1, 3))
            event("request_supplement", asked, 5, "appraise")
            event("supplement", done, 2, "appraise")
            paused += done - asked
            waited += calendar.working_time_between(asked, done)
            now = done
        effective_due = calendar.add_working_time(due, waited) if waited else due
        if plan.payment:  # the wait for the payment counts against the deadline (Q5): keep it short
            asked = now + span * 0.02
            paid = asked + span * 0.05
            event("request_payment", asked, 6, "appraise")
            event("pay", paid, 2, "appraise")
            now = paid
        if plan.fate == "withdrawn":
            gone = now + span * 0.1
            event("withdraw", gone, 7)
            row.update({"accepted_at": accepted.isoformat(), "due_at": due.isoformat(),
                        "finished_at": gone.isoformat(), "status": 7, "outcome": "withdrawn", "events": events})
            return row
        if plan.late:  # late however the waiting time is counted (working or calendar time)
            decided = max(due + paused, effective_due) + timedelta(days=rng.randint(1, 5))
        else:  # early or on time
            decided = now + max(effective_due - now, timedelta(0)) * rng.uniform(0.2, 0.9)
        worked = now + (decided - now) * 0.5
        event("complete_step", worked, 4, "approve")
        event("approve", decided, 9, "return")
        returned = decided + timedelta(hours=rng.randint(1, 6))
        event("return_result", returned, 10)
        shares = self.profile["shares"]
        row.update({"accepted_at": accepted.isoformat(), "due_at": due.isoformat(), "finished_at": decided.isoformat(),
                    "returned_at": returned.isoformat(), "status": 10, "outcome": "approved", "events": events,
                    "results": [{"code": f"{code}-KQ1", "title": version.result_type_vi[:500] or "Kết quả",
                                 "issued_at": decided.isoformat()}],
                    "marks": {name: rng.random() < shares[name] for name in MARKS}})
        if rng.random() < shares["rated"]:
            unhappy = rng.random() < shares["not_satisfied"] / max(shares["rated"], 1e-9)
            row["rating"] = {"score": 2 if unhappy else rng.randint(4, 5), "not_satisfied": unhappy,
                             "at": (returned + timedelta(hours=2)).isoformat()}
        return row

    def lines(self) -> Iterator[str]:
        for plan in self.plans():
            yield json.dumps(self.row(plan), ensure_ascii=False)


def simulate(profile: dict[str, Any], *, scale: float = 1.0, seed: int = 2024, batch_size: int = 5000,
             on_batch: Callable[[BatchReport], None] | None = None) -> ImportReport:
    """Generate the profile's year and import it (one transaction a batch), through the history import."""
    simulator = Simulator(profile, scale=scale, seed=seed)
    return import_lines(simulator.lines(), source=f"simulate:{profile.get('name', '?')}", batch_size=batch_size,
                        on_batch=on_batch)
