"""The data sources of the indicators the system holds data for, registered in the indicator registry.

Dossier indicators read the counters (`numerator_key` / `denominator_key`); procedure indicators read the catalog and,
for "procedures with a dossier that ...", the counters by procedure. Indicators left out here have no data yet:
1.2 (publication clicks in the national procedure database), 1.4 and 3.5 (national portal sync), ECC (not meaningful
for a ministry, Q10). The petition indicators 5.1-5.3 read the petitions app's counts.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import Max

from motcua.catalog.models import AnnouncementItem, LegalBasis, Procedure
from motcua.organization.queries import calendar_for
from motcua.petitions import queries as petition_queries

from . import config
from .context import Context
from .indicators import INDICATORS, Figures, register_provider
from .periods import VN

POPULATION_SUBJECTS = {"citizen", "foreigner"}
# Decree 63/2010 art. 8(2): the parts every published procedure must show (1.3).
PARTS = ("name_vi", "steps_vi", "method_vi", "agency_vi")
ANNOUNCE_LEAD_DAYS = 20  # ministry rule of 1.1: decision date <= legal basis effective date - 20 working days


def _keys(numerator: str, denominator: str) -> object:
    def provide(ctx: Context) -> Figures:
        return Figures(ctx.totals.get(numerator, 0), ctx.totals.get(denominator, 0))
    return provide


def announcement_verdicts(ctx: Context) -> dict[int, bool]:
    """1.1: procedure id -> announced on time (every decision of the period on time), for procedures announced in
    the period."""
    competence = {p.pk for p in ctx.competence}
    start, end = ctx.period.start.date(), ctx.period.end.date()
    items = list(AnnouncementItem.objects.filter(announcement__decision_date__range=(start, end),
                                                 procedure_id__in=competence).select_related("announcement"))
    if not items:
        return {}
    calendar = calendar_for(ctx.unit if ctx.is_root else None)
    effective: dict[int, date | None] = {}
    version_ids = {item.version_id or 0 for item in items}
    latest = dict(LegalBasis.objects.filter(version_id__in=version_ids).values("version_id").annotate(
        last=Max("effective_from")).values_list("version_id", "last"))
    verdicts: dict[int, bool] = {}
    for item in items:
        basis = latest.get(item.version_id) or item.announcement.effective_date
        effective[item.procedure_id] = basis
        on_time = False
        if basis is not None:
            decided = datetime.combine(item.announcement.decision_date, time(0), tzinfo=VN)
            limit = calendar.add_working_days(decided, ANNOUNCE_LEAD_DAYS)
            on_time = limit.date() <= basis
        verdicts[item.procedure_id] = verdicts.get(item.procedure_id, True) and on_time
    return verdicts


def _announced(ctx: Context) -> Figures:
    verdicts = announcement_verdicts(ctx)
    return Figures(sum(verdicts.values()), len(verdicts))


def complete_parts(procedure: Procedure) -> bool:
    """1.3: the seven parts are there (`has_components` is annotated by Context.competence)."""
    version = procedure.current_version
    return (all(getattr(version, name).strip() for name in PARTS) and bool(version.subjects)
            and procedure.has_components and bool(version.time_limit_unit))


def _published_complete(ctx: Context) -> Figures:
    procedures = ctx.competence
    return Figures(sum(1 for p in procedures if complete_parts(p)), len(procedures))


def online_procedures(ctx: Context) -> list[Procedure]:
    return [p for p in ctx.competence if p.current_version.online_level != "none"]


def _offering_online(ctx: Context) -> Figures:
    return Figures(len(online_procedures(ctx)), len(ctx.competence))


def _online_with_dossiers(ctx: Context) -> Figures:
    online = {p.pk for p in online_procedures(ctx)}
    return Figures(len(online & ctx.procedures_with("rcv.on")), len(online))


def _online_share(ctx: Context) -> Figures:
    return Figures(ctx.totals.get("rcv.on.ok", 0), ctx.totals.get("rcv", 0),
                   note="The sync coefficient of 1.4 is not applied: 1.4 has no data yet.")


def _paying_procedures(ctx: Context) -> Figures:
    return Figures(len(ctx.procedures_with("paid")), len(ctx.procedures_with("obl")))


def population_procedures(ctx: Context) -> list[Procedure]:
    return [p for p in ctx.competence if POPULATION_SUBJECTS & set(p.current_version.subjects or [])]


def _population_procedures(ctx: Context) -> Figures:
    eligible = {p.pk for p in population_procedures(ctx)}
    return Figures(len(eligible & ctx.procedures_with("pop")), len(eligible))


def _processing_time(ctx: Context) -> Figures | None:
    done = ctx.totals.get("done", 0)
    seconds = ctx.totals.get("done.sec", 0)
    day = ctx.unit and calendar_for(ctx.unit).day_length.total_seconds()
    value = seconds / day / done if done and day else None
    return Figures(seconds / day if day else 0, done, value=value)


def _ecc(ctx: Context) -> Figures | None:
    return Figures(1, 1) if config.value("MOTCUA_INDEX_ECC") == "full" else None


def _petition_period(ctx: Context) -> tuple[date, date]:
    return ctx.period.start.date(), ctx.period.end.date()


def _petition_categories(ctx: Context) -> Figures:
    counts = petition_queries.category_counts(ctx.unit, *_petition_period(ctx))
    return Figures(counts.regulation + counts.staff, counts.total)


def _petitions_on_time(ctx: Context) -> Figures:
    ratio = petition_queries.on_time_counts(ctx.unit, *_petition_period(ctx))
    return Figures(ratio.numerator, ratio.denominator)


def _petition_satisfaction(ctx: Context) -> Figures:
    found = petition_queries.satisfaction_counts(ctx.unit, *_petition_period(ctx))
    return Figures(found.received - found.unsatisfactory, found.received)


def petition_codes(ctx: Context, indicator_id: str) -> tuple[list[str], list[str]]:
    """(denominator, numerator) petition codes behind 5.1, 5.2 or 5.3, by the same rules as their figures."""
    start, end = _petition_period(ctx)
    if indicator_id == "5.1":
        return petition_queries.category_codes(ctx.unit, start, end)
    if indicator_id == "5.2":
        ratio = petition_queries.on_time_counts(ctx.unit, start, end)
        return ratio.denominator_codes, ratio.numerator_codes
    if indicator_id == "5.3":
        found = petition_queries.satisfaction_counts(ctx.unit, start, end)
        unsatisfactory = set(found.unsatisfactory_codes)
        return found.received_codes, [code for code in found.received_codes if code not in unsatisfactory]
    return [], []


def register_defaults() -> None:
    for indicator in INDICATORS:
        if indicator.numerator_key and indicator.id != "2.2":
            register_provider(indicator.id, _keys(indicator.numerator_key, indicator.denominator_key))
    register_provider("1.1", _announced)
    register_provider("1.3", _published_complete)
    register_provider("2.2", _processing_time)
    register_provider("3.1", _offering_online)
    register_provider("3.2", _online_with_dossiers)
    register_provider("3.3", _online_share)
    register_provider("3.5b", _paying_procedures)
    register_provider("4.5a", _population_procedures)
    register_provider("ECC", _ecc)
    register_provider("5.1", _petition_categories)
    register_provider("5.2", _petitions_on_time)
    register_provider("5.3", _petition_satisfaction)


register_defaults()
