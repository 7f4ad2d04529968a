"""What one dossier contributes to the counters: the rules of index-766.md §2-3 for dossier-based indicators.

`contributions(facts)` returns rows (period, key, due, count). Keys:

- by the period of the received date (month, quarter and year containing it):
  `rcv` received; `rcv.on` received online (channel 2); `rcv.post` by post; `rcv.on.ok` online and, for a
  paper-result procedure, with an electronic result (3.3); `fo` received for a full-online procedure, `fo.on` of
  them online (3.0); `paper` / `paper.file` paper-result procedure / with a result file (4.1); `dig` digitized (4.2);
  `reuse` (4.3); `share` (4.4); `pop` population data (4.5b); `obl` with a financial obligation, `paid` paid online
  (3.6); `done` finished with a decision (9/10) and `done.sec` their processing time in working seconds (2.2).
- by the period of the submission date: `sub`, `sub.on` (volume).
- for every period in which the dossier is in the 2.1 population: `p` (in D), `p.ok` (on time, for good),
  `p.open` with `due` (still open: on time while the cut-off is not after `due`); `s.ok` / `s.open` likewise for 5.4
  (on time and not rated "not satisfied").

Periods are materialized from the month of reception to the month of the last event; a dossier still open after
that adds the same 2.1 rows to the tail period `T<next month>`, which counts in every later period, so an open
dossier needs no event to appear in a new month.
"""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import config
from .facts import DossierFacts
from .periods import Period, month_of, month_range, next_month, periods_of_month

Row = tuple[str, str, int, int]  # period, key, due, count

PROCESSED, RETURNED, WITHDRAWN, STOPPED, NOT_ACCEPTED, SUPPLEMENT = 9, 10, 7, 8, 3, 5


@dataclass(frozen=True)
class Progress:
    """The 2.1 verdict of a dossier for one period: ended or not, on time, and the due time that decides an open one."""

    state: str  # "ok", "late" or "open"
    due: datetime | None  # for "open": on time while the cut-off is not after it
    end: datetime | None  # the effective end (None: still open)


@dataclass(frozen=True)
class Options:
    """The settings (config.py) that change what a dossier contributes, read once per dossier rather than per rule."""

    calendar_pauses: bool
    received_in_period: bool
    wide_population: bool

    @classmethod
    def current(cls) -> Options:
        return cls(config.value("MOTCUA_INDEX_PAUSE_TIME") == "calendar",
                   config.value("MOTCUA_INDEX_PROGRESS_POPULATION") == "received_in_period",
                   config.value("MOTCUA_INDEX_POPULATION_MARKERS") == "vneid_or_warehouse")


def _supplements(facts: DossierFacts, received: datetime, cutoff: datetime | None
                 ) -> list[tuple[datetime, datetime | None]]:
    """(requested_at, fulfilled_at or None) of the supplement requests made after reception, up to the cut-off."""
    out: list[tuple[datetime, datetime | None]] = []
    for step in facts.steps:
        if cutoff is not None and step.at > cutoff:
            break
        if step.to_status == SUPPLEMENT and step.from_status != SUPPLEMENT and step.at >= received:
            out.append((step.at, None))
        elif out and out[-1][1] is None and step.from_status == SUPPLEMENT and step.action == "supplement":
            out[-1] = (out[-1][0], step.at)
    return out


def effective_due(facts: DossierFacts, received: datetime, paused: list[tuple[datetime, datetime]],
                  options: Options | None = None) -> datetime:
    """The due date (or, without one, the procedure's time limit from reception) moved on by the waiting time."""
    calendar = facts.calendar
    due = facts.due_at or calendar.due_at(received, facts.version.time_limit_value, facts.version.time_limit_unit)
    if not paused:
        return due
    if (options or Options.current()).calendar_pauses:
        return due + sum((b - a for a, b in paused), timedelta(0))
    waited = sum((calendar.working_time_between(a, b) for a, b in paused), timedelta(0))
    return calendar.add_working_time(due, waited)


def progress(facts: DossierFacts, start: datetime | None, cutoff: datetime | None,
             options: Options | None = None) -> Progress | None:
    """The end-of-processing algorithm of index-766 §3 for the period [start, cutoff]; None: not in the population.
    `cutoff` None means "no cut-off" (the tail: every event known)."""
    received = facts.received_at
    if received is None or (cutoff is not None and received > cutoff):
        return None
    options = options or Options.current()
    if options.received_in_period and start is not None and received < start:
        return None
    events = [s for s in facts.steps if cutoff is None or s.at <= cutoff]
    sup = _supplements(facts, received, cutoff)
    done = [(a, b) for a, b in sup if b is not None]

    def first(statuses: set[int]) -> datetime | None:
        return next((s.at for s in events if s.to_status in statuses and s.from_status != s.to_status
                     and s.at >= received), None)

    end = first({PROCESSED}) or first({RETURNED}) or first({STOPPED, WITHDRAWN, NOT_ACCEPTED})
    due = effective_due(facts, received, done, options)
    if end is not None:
        if start is not None and end < start:
            return None
        return Progress("ok" if end <= due else "late", None, end)
    if sup and sup[-1][1] is None:  # waiting for the applicant
        if len(sup) > 1:
            return Progress("late", None, None)
        return Progress("ok" if sup[-1][0] <= due else "late", None, None)
    return Progress("open", due, None)


def _in_period(tail: Progress | None, received: datetime, start: datetime, options: Options) -> Progress | None:
    """`progress(facts, start, end)` for a period whose end is after every event, from the verdict with no cut-off:
    the same events and supplements are seen, only the period's start can leave the dossier out."""
    if tail is None or (options.received_in_period and received < start):
        return None
    if tail.end is not None and tail.end < start:
        return None
    return tail


def _progress_rows(facts: DossierFacts, verdict: Progress, period_key: str, end: datetime | None) -> list[Row]:
    disliked = facts.has_petition or (facts.disliked_at is not None and (end is None or facts.disliked_at <= end))
    rows: list[Row] = [(period_key, "p", 0, 1)]
    if verdict.state == "ok":
        rows.append((period_key, "p.ok", 0, 1))
        if not disliked:
            rows.append((period_key, "s.ok", 0, 1))
    elif verdict.state == "open":
        assert verdict.due is not None
        if end is not None and verdict.due >= end:  # on time whenever the period is read
            rows.append((period_key, "p.ok", 0, 1))
            if not disliked:
                rows.append((period_key, "s.ok", 0, 1))
        else:
            stamp = int(verdict.due.timestamp())
            rows.append((period_key, "p.open", stamp, 1))
            if not disliked:
                rows.append((period_key, "s.open", stamp, 1))
    return rows


def _received_rows(facts: DossierFacts, received: datetime, options: Options) -> list[tuple[str, int]]:
    marks, version = facts.marks, facts.version
    online = facts.channel == 2
    electronic_result = facts.result_codes > 0 and marks.get("result_file", False)
    keys: list[tuple[str, int]] = [("rcv", 1)]
    if online:
        keys.append(("rcv.on", 1))
        if not version.paper_result or electronic_result:
            keys.append(("rcv.on.ok", 1))
    if facts.channel == 3:
        keys.append(("rcv.post", 1))
    if version.full_online:
        keys.append(("fo", 1))
        if online:
            keys.append(("fo.on", 1))
    if version.paper_result:
        keys.append(("paper", 1))
        if marks.get("result_file"):
            keys.append(("paper.file", 1))
    if marks.get("components_have_files") and (not version.paper_result or marks.get("result_file")):
        keys.append(("dig", 1))
    if marks.get("reuses_digitized_data"):
        keys.append(("reuse", 1))
    if marks.get("from_personal_warehouse") or marks.get("result_synced_to_catalog"):
        keys.append(("share", 1))
    wide = options.wide_population
    population = marks.get("vneid_verified") or (wide and marks.get("from_personal_warehouse"))
    if population:
        keys.append(("pop", 1))
    # A financial obligation: the procedure has a fee, or a payment of more than 0 was requested (3.6).
    asked = any(s.action == "request_payment" and (s.data.get("amount_vnd") or 1) > 0 for s in facts.steps)
    if version.has_fee or asked:
        keys.append(("obl", 1))
        if any(s.action == "pay" and s.data.get("payment_status", "success") == "success" for s in facts.steps):
            keys.append(("paid", 1))
    decided = next((s.at for s in facts.steps if s.to_status in (PROCESSED, RETURNED) and s.at >= received), None)
    if decided is not None:
        sup = [(a, b) for a, b in _supplements(facts, received, None) if b is not None]
        calendar = facts.calendar
        seconds = calendar.working_time_between(received, decided) - sum(
            (calendar.working_time_between(a, b) for a, b in sup), timedelta(0))
        keys += [("done", 1), ("done.sec", max(int(seconds.total_seconds()), 0))]
    return keys


def contributions(facts: DossierFacts, options: Options | None = None) -> list[Row]:
    options = options or Options.current()
    tally: Tally[tuple[str, str, int]] = Tally()
    year, month = month_of(facts.submitted_at)
    for period in periods_of_month(year, month):
        tally[(period.key, "sub", 0)] += 1
        if facts.channel == 2:
            tally[(period.key, "sub.on", 0)] += 1
    received = facts.received_at
    if received is not None:
        keys = _received_rows(facts, received, options)
        for period in periods_of_month(*month_of(received)):
            for key, count in keys:
                tally[(period.key, key, 0)] += count
        last = month_of(facts.last_at)
        seen: set[str] = set()
        tail = progress(facts, None, None, options)  # every event known
        last_step = facts.steps[-1].at if facts.steps else None
        for ym in month_range(month_of(received), last):
            for period in periods_of_month(*ym):
                if period.key in seen:
                    continue
                seen.add(period.key)
                if last_step is not None and period.end >= last_step:  # sees every event: the tail's verdict
                    verdict = _in_period(tail, received, period.start, options)
                else:
                    verdict = progress(facts, period.start, period.end, options)
                if verdict is not None:
                    for key in _progress_rows(facts, verdict, period.key, period.end):
                        tally[key[:3]] += key[3]
        backlog = not options.received_in_period
        if tail is not None and tail.end is None and backlog:
            tail_year, tail_month = next_month(*last)
            tail_key = f"T{tail_year:04d}-{tail_month:02d}"
            for key in _progress_rows(facts, tail, tail_key, None):
                tally[key[:3]] += key[3]
    return [(p, k, d, c) for (p, k, d), c in sorted(tally.items()) if c]


def applies(period_key: str, period: Period) -> bool:
    """Whether counter rows of `period_key` count in `period`: its own rows, and tails that started by then."""
    return period_key == period.key or (period_key.startswith("T") and period_key <= period.tail_key)


def resolve(rows: list[tuple[str, int, int]], cutoff: datetime) -> Tally[str]:
    """Totals by key from (key, due, count) rows of one period: open dossiers count as on time while the cut-off is
    not after their due time."""
    limit = int(cutoff.timestamp())
    totals: Tally[str] = Tally()
    for key, due, count in rows:
        if key in ("p.open", "s.open"):
            totals[key] += count
            if due >= limit:
                totals[key[0] + ".ok"] += count
        else:
            totals[key] += count
    return totals
