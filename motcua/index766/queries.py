"""Reads of the index: scorecards, the drill-down behind a figure, trends by month, ranking of units."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import Procedure
from motcua.core import clock
from motcua.core.errors import FieldError, NotFound, ValidationFailed
from motcua.dossiers.models import Dossier
from motcua.organization.models import Role, RoleAssignment, Unit
from motcua.petitions.models import Petition

from . import sources
from .context import Context
from .facts import Loader
from .indicators import BY_ID, GROUPS, INDICATORS, Figures, Indicator, points, provider_of
from .periods import Period
from .rules import applies, contributions, resolve

PARTS = ("numerator", "denominator", "lost")
VIEW_ROLES = (Role.INDEX_VIEWER, Role.LEADER, Role.SYSADMIN)


# --- who may read -------------------------------------------------------------------------------------------------

def viewable_units(user: Any) -> list[Unit]:
    """Units whose index `user` may read (with their subtrees): where they are index viewer, leader or sysadmin."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_staff_member", False):
        return []
    units = [a.unit for a in RoleAssignment.objects.filter(user=user, role__in=VIEW_ROLES).select_related("unit")]
    return sorted(units, key=lambda u: u.path)


def may_view(user: Any, unit: Unit) -> bool:
    return any(unit.path.startswith(top.path) for top in viewable_units(user))


def default_unit(user: Any) -> Unit | None:
    units = viewable_units(user)
    return units[0] if units else None


def unit_by_code(code: str) -> Unit:
    unit = Unit.objects.filter(agency_code=code).first()
    if unit is None:
        raise NotFound(_("No unit has this agency code."), [FieldError("unit", "exists", _("Unknown unit."))])
    return unit


def procedure_by_code(code: str | None) -> Procedure | None:
    if not code:
        return None
    procedure = Procedure.objects.filter(code=code).first()
    if procedure is None:
        raise NotFound(_("No procedure has this code."), [FieldError("procedure", "exists", _("Unknown code."))])
    return procedure


# --- scorecard ----------------------------------------------------------------------------------------------------

def context(unit: Unit, period: Period, procedure: Procedure | None = None, now: datetime | None = None) -> Context:
    return Context(unit=unit, period=period, now=now or clock.now(), procedure=procedure)


def figures(ctx: Context, indicator: Indicator) -> tuple[Figures | None, str]:
    """The figures of an indicator in the scope, or None (no data) with the reason."""
    if indicator.root_only and not ctx.is_root:
        return None, str(_("Computed for the whole ministry only."))
    if ctx.procedure is not None and not indicator.per_procedure:
        return None, str(_("Not computed for one procedure."))
    if indicator.id == "2.2" and ctx.procedure is None:
        return None, str(_("Shown when one procedure is selected."))
    provider = provider_of(indicator.id)
    if provider is None:
        return None, str(_("No data: the system does not hold this data yet."))
    result = provider(ctx)
    return result, (result.note if result else str(_("No data: the system does not hold this data yet.")))


def indicator_out(ctx: Context, indicator: Indicator) -> dict[str, Any]:
    found, note = figures(ctx, indicator)
    rate, score = points(indicator, found) if found is not None and found.value is None else (None, None)
    return {
        "id": indicator.id, "group": indicator.group, "name": str(indicator.name),
        "numerator": found.numerator if found else None, "denominator": found.denominator if found else None,
        "value": found.value if found else None, "rate": rate, "points": score,
        "maximum": indicator.max_points(), "threshold": indicator.threshold_value(),
        "has_data": found is not None, "note": note, "drill_down": indicator.items != "none" and found is not None,
    }


def scorecard(ctx: Context) -> dict[str, Any]:
    groups = []
    for group in GROUPS:
        rows = [indicator_out(ctx, i) for i in INDICATORS if i.group == group.id]
        scored = [r for r in rows if r["points"] is not None]
        groups.append({
            "id": group.id, "name": str(group.name), "maximum": group.maximum,
            "points": sum(r["points"] for r in scored) if scored else None,
            "applicable_maximum": sum(r["maximum"] for r in scored), "indicators": rows,
        })
    scored_groups = [g for g in groups if g["points"] is not None]
    return {
        "unit": {"code": ctx.unit.agency_code, "name": ctx.unit.name_vi},
        "procedure": ctx.procedure.code if ctx.procedure else None,
        "period": {"key": ctx.period.key, "label": ctx.period.label(), "start": ctx.period.start,
                   "end": ctx.period.end, "running": ctx.period.running(ctx.now), "cutoff": ctx.cutoff},
        "total": {"points": sum(g["points"] for g in scored_groups) if scored_groups else None, "maximum": 100.0,
                  "applicable_maximum": sum(g["applicable_maximum"] for g in groups)},
        "volume": {"submitted": ctx.totals.get("sub", 0), "submitted_online": ctx.totals.get("sub.on", 0),
                   "received": ctx.totals.get("rcv", 0)},
        "groups": groups,
    }


def trend(unit: Unit, year: int, indicator_id: str = "2.1", now: datetime | None = None) -> list[dict[str, Any]]:
    """The indicator month by month in `year` (months not yet begun are left out)."""
    now = now or clock.now()
    indicator = BY_ID[indicator_id]
    out = []
    for month in Period(year).months():
        if month.start > now:
            break
        ctx = context(unit, month, now=now)
        row = indicator_out(ctx, indicator)
        row.update({"period": month.key, "label": month.label(), "submitted": ctx.totals.get("sub", 0)})
        out.append(row)
    return out


def ranking(unit: Unit, period: Period, now: datetime | None = None) -> list[dict[str, Any]]:
    """The unit's children by total points (each with its subtree), best first; units without data last."""
    rows = []
    for child in Unit.objects.filter(parent=unit).order_by("agency_code"):
        card = scorecard(context(child, period, now=now))
        progress = next(i for g in card["groups"] for i in g["indicators"] if i["id"] == "2.1")
        rows.append({"unit": card["unit"], "points": card["total"]["points"],
                     "applicable_maximum": card["total"]["applicable_maximum"],
                     "on_time_rate": progress["rate"], "received": card["volume"]["received"]})
    return sorted(rows, key=lambda r: (r["points"] is None, -(r["points"] or 0), r["unit"]["code"]))


# --- drill-down ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    kind: str  # "dossier" or "procedure"
    code: str
    name: str
    procedure: str
    unit: str
    submitted_at: datetime | None = None
    received_at: datetime | None = None
    due_at: datetime | None = None
    finished_at: datetime | None = None
    status: int | None = None
    in_numerator: bool = False
    link: str = ""
    state: str = ""  # a petition's state (dossiers have `status`)


def _candidates(ctx: Context, indicator: Indicator) -> Iterator[list[int]]:
    dossiers = Dossier.objects.filter(receiving_unit__path__startswith=ctx.unit.path)
    if ctx.procedure is not None:
        dossiers = dossiers.filter(procedure=ctx.procedure)
    start, cutoff = ctx.period.start, ctx.cutoff
    if indicator.denominator_key in ("p",):
        dossiers = dossiers.filter(accepted_at__lte=cutoff).filter(Q(finished_at__isnull=True)
                                                                   | Q(finished_at__gte=start))
    else:
        dossiers = dossiers.filter(accepted_at__range=(start, ctx.period.end))
    ids = list(dossiers.order_by("pk").values_list("pk", flat=True))
    for index in range(0, len(ids), 1000):
        yield ids[index:index + 1000]


def dossier_items(ctx: Context, indicator: Indicator, part: str) -> list[Item]:
    """The dossiers behind an indicator's numerator, denominator, or those that cost points (in D, not in N)."""
    loader = Loader()
    out = []
    for chunk in _candidates(ctx, indicator):
        facts = {f.id: f for f in loader.load(chunk)}
        members = {}
        for item in facts.values():
            rows = [(k, d, c) for p, k, d, c in contributions(item) if applies(p, ctx.period)]
            tally = resolve(rows, ctx.cutoff)
            in_d = tally.get(indicator.denominator_key, 0) > 0
            in_n = tally.get(indicator.numerator_key, 0) > 0
            if (part == "denominator" and in_d) or (part == "numerator" and in_n) or (
                    part == "lost" and in_d and not in_n):
                members[item.id] = (item, in_n)
        for dossier in Dossier.objects.filter(pk__in=members).select_related("procedure", "receiving_unit",
                                                                             "version").order_by("code"):
            item, in_n = members[dossier.pk]
            out.append(Item("dossier", dossier.code, dossier.version.name_vi, dossier.procedure.code,
                            dossier.receiving_unit.agency_code, dossier.submitted_at, item.received_at, item.due_at,
                            dossier.finished_at, dossier.status, in_n, f"/backoffice/dossiers/{dossier.code}/"))
    return sorted(out, key=lambda i: i.code)


def _procedure_sets(ctx: Context, indicator: Indicator) -> tuple[set[int], set[int]]:
    """(denominator, numerator) procedure ids of a procedure-based indicator."""
    competence = {p.pk for p in ctx.competence}
    if indicator.id == "1.1":
        verdicts = sources.announcement_verdicts(ctx)
        return set(verdicts), {pid for pid, ok in verdicts.items() if ok}
    if indicator.id == "1.3":
        return competence, {p.pk for p in ctx.competence if sources.complete_parts(p)}
    if indicator.id == "3.1":
        return competence, {p.pk for p in sources.online_procedures(ctx)}
    if indicator.id == "3.2":
        online = {p.pk for p in sources.online_procedures(ctx)}
        return online, online & ctx.procedures_with("rcv.on")
    if indicator.id == "3.5b":
        return ctx.procedures_with("obl"), ctx.procedures_with("paid")
    if indicator.id == "4.5a":
        eligible = {p.pk for p in sources.population_procedures(ctx)}
        return eligible, eligible & ctx.procedures_with("pop")
    return set(), set()


def _part(denominator: set[Any], numerator: set[Any], part: str) -> set[Any]:
    """The members of a drill-down part: numerator, denominator, or lost (in the denominator, not the numerator)."""
    return {"numerator": numerator, "denominator": denominator, "lost": denominator - numerator}[part]


def procedure_items(ctx: Context, indicator: Indicator, part: str) -> list[Item]:
    denominator, numerator = _procedure_sets(ctx, indicator)
    chosen = _part(denominator, numerator, part)
    return [Item("procedure", p.code, p.current_version.name_vi if p.current_version else "", p.code, "",
                 in_numerator=p.pk in numerator, link=f"/procedures/{p.code}/")
            for p in Procedure.objects.filter(pk__in=chosen).select_related("current_version").order_by("code")]


def petition_items(ctx: Context, indicator: Indicator, part: str) -> list[Item]:
    """The petitions behind 5.1-5.3 (petitions' queries decide membership, as for the figures)."""
    denominator, numerator = sources.petition_codes(ctx, indicator.id)
    in_numerator = set(numerator)
    chosen = _part(set(denominator), in_numerator, part)
    rows = Petition.objects.filter(code__in=chosen).select_related("procedure", "unit").order_by("code")
    return [Item("petition", p.code, p.title, p.procedure.code if p.procedure else "", p.unit.agency_code,
                 submitted_at=p.sent_at, received_at=p.classified_at, due_at=p.answer_due_at,
                 finished_at=p.answered_at or p.refused_at, in_numerator=p.code in in_numerator,
                 link=f"/backoffice/petitions/{p.code}/", state=p.state) for p in rows]


def items(ctx: Context, indicator_id: str, part: str) -> list[Item]:
    indicator = BY_ID.get(indicator_id)
    if indicator is None:
        raise NotFound(_("No indicator has this id."), [FieldError("id", "exists", _("Unknown indicator."))])
    if part not in PARTS:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("part", "choice", _("part is numerator, denominator or lost."))])
    found, note = figures(ctx, indicator)
    if found is None or indicator.items == "none":
        return []
    if indicator.items == "procedures":
        return procedure_items(ctx, indicator, part)
    if indicator.items == "petitions":
        return petition_items(ctx, indicator, part)
    return dossier_items(ctx, indicator, part)
