"""What each dataset holds: ORM aggregates over the live data, one list of rows (dicts) per dataset.

Never personal data: no applicant names, identity numbers, dossier or petition codes, lookup keys, e-mails or phone
numbers. Dossiers, petitions and results appear only as counts grouped by month, year, unit, field or channel. The
digitization and index figures come from the same queries as their back-office reports
(`results.inspection.digitization_report`, `index766.queries.scorecard`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import ExtractYear, TruncMonth
from django.utils import translation

from motcua.catalog.models import Fee, LegalBasis, Procedure
from motcua.dossiers.models import Channel, Dossier, Outcome
from motcua.index766 import queries as index_queries
from motcua.index766.indicators import GROUPS
from motcua.index766.periods import VN, Period
from motcua.organization.models import Unit
from motcua.petitions.models import ANSWERED, OPEN, Petition, State
from motcua.results.inspection import CSV_COLUMNS as DIGITIZATION_COLUMNS
from motcua.results.inspection import digitization_report
from motcua.results.models import Result
from motcua.results.models import State as ResultState

Rows = list[dict[str, Any]]

# Counts of dossiers shared by the volume datasets (each grouped differently).
VOLUME = {
    "submitted": Count("id"),
    "online": Count("id", filter=Q(channel=Channel.ONLINE)),
    "accepted": Count("id", filter=Q(accepted_at__isnull=False)),
    "finished": Count("id", filter=Q(finished_at__isnull=False)),
    "approved": Count("id", filter=Q(outcome=Outcome.APPROVED)),
    "on_time": Count("id", filter=Q(late=False)),
    "late": Count("id", filter=Q(late=True)),
}
VOLUME_COLUMNS = tuple(VOLUME)


def root_unit() -> Unit | None:
    """The publishing unit: the top of the unit tree."""
    return Unit.objects.filter(parent__isnull=True).order_by("path").first()


def _month(field: str) -> TruncMonth:
    return TruncMonth(field, tzinfo=VN)


def _key(row: dict[str, Any], name: str = "month") -> dict[str, Any]:
    """Months as 'YYYY-MM' text, the same in CSV and JSON."""
    row[name] = row[name].astimezone(VN).strftime("%Y-%m") if hasattr(row[name], "astimezone") else str(row[name])
    return row


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _label(choice: Any, language: str) -> str:
    with translation.override(language):
        return str(choice.label)


def _grouped(queryset: QuerySet, keys: tuple[str, ...], counts: dict[str, Any], **names: Any) -> Rows:
    """Counts grouped by `keys`; an annotated key named like a model field ("unit") is computed as "<key>_" and
    renamed."""
    fields = {f.name for f in queryset.model._meta.get_fields()}
    alias = {k: f"{k}_" if k in fields and k in names else k for k in keys}
    names = {alias.get(k, k): v for k, v in names.items()}
    rows = queryset.annotate(**names).values(*alias.values()).annotate(**counts).order_by(*alias.values())
    return [{**{k: row.pop(a) for k, a in alias.items()}, **row} for row in rows]


def _years() -> list[int]:
    rows = Dossier.objects.annotate(year=ExtractYear("submitted_at", tzinfo=VN)).values_list("year", flat=True)
    return sorted(set(rows.distinct()))


# --- catalog ------------------------------------------------------------------------------------------------------

def _versions() -> QuerySet:
    return Procedure.objects.filter(current_version__isnull=False).values("current_version")


def procedures() -> Rows:
    rows = []
    for p in (Procedure.objects.filter(current_version__isnull=False).select_related("current_version", "field")
              .order_by("code")):
        v = p.current_version
        rows.append({
            "code": p.code, "name_vi": v.name_vi, "name_en": v.name_en, "status": p.status,
            "field": p.field.code, "field_name_vi": p.field.name_vi, "field_name_en": p.field.name_en,
            "version": v.number, "online_level": v.online_level, "levels": " ".join(v.levels),
            "subjects": " ".join(v.subjects), "channels": " ".join(str(c) for c in v.channels),
            "time_limit_value": float(v.time_limit_value), "time_limit_unit": v.time_limit_unit,
            "agency_vi": v.agency_vi, "result_vi": v.result_type_vi,
            "paper_result_required": v.paper_result_required, "fees": v.fees.count(),
            "published_at": v.published_at.date().isoformat() if v.published_at else "",
        })
    return rows


def fees() -> Rows:
    return [{"procedure": f.version.procedure.code, "kind": f.kind, "name_vi": f.name_vi, "name_en": f.name_en,
             "amount_vnd": f.amount_vnd, "payer_vi": f.payer_vi}
            for f in Fee.objects.filter(version__in=_versions()).select_related("version__procedure")
            .order_by("version__procedure__code", "position", "id")]


def legal_bases() -> Rows:
    return [{"procedure": b.version.procedure.code, "number": b.number, "title_vi": b.title_vi,
             "title_en": b.title_en, "issued_on": b.issued_on.isoformat() if b.issued_on else "",
             "effective_from": b.effective_from.isoformat() if b.effective_from else "",
             "effective_to": b.effective_to.isoformat() if b.effective_to else ""}
            for b in LegalBasis.objects.filter(version__in=_versions()).select_related("version__procedure")
            .order_by("version__procedure__code", "position", "id")]


def units() -> Rows:
    """The units directory: codes, names, level, parent and province (no e-mail or phone)."""
    return [{"agency_code": u.agency_code, "name_vi": u.name_vi, "name_en": u.name_en, "level": u.level,
             "parent": u.parent.agency_code if u.parent else "", "province_code": u.province_code,
             "address": u.address}
            for u in Unit.objects.filter(is_active=True).select_related("parent").order_by("path")]


# --- dossier volumes ----------------------------------------------------------------------------------------------

def dossiers_by_month() -> Rows:
    return [_key(r) for r in _grouped(Dossier.objects.all(), ("month",), VOLUME, month=_month("submitted_at"))]


def dossiers_by_field() -> Rows:
    return _grouped(Dossier.objects.all(), ("year", "field", "field_name_vi", "field_name_en"), VOLUME,
                    year=ExtractYear("submitted_at", tzinfo=VN), field=F("procedure__field__code"),
                    field_name_vi=F("procedure__field__name_vi"), field_name_en=F("procedure__field__name_en"))


def dossiers_by_unit() -> Rows:
    return _grouped(Dossier.objects.all(), ("year", "unit", "unit_name_vi", "unit_name_en"), VOLUME,
                    year=ExtractYear("submitted_at", tzinfo=VN), unit=F("receiving_unit__agency_code"),
                    unit_name_vi=F("receiving_unit__name_vi"), unit_name_en=F("receiving_unit__name_en"))


def dossiers_by_channel() -> Rows:
    rows = _grouped(Dossier.objects.all(), ("month", "channel"), {"submitted": VOLUME["submitted"]},
                    month=_month("submitted_at"))
    return [{"month": _key(r)["month"], "channel": r["channel"],
             "channel_name_vi": _label(Channel(r["channel"]), "vi"),
             "channel_name_en": _label(Channel(r["channel"]), "en"), "submitted": r["submitted"]} for r in rows]


def on_time_rate() -> Rows:
    """Dossiers settled in each month by receiving unit: on time, late, and the on-time rate in percent."""
    counts = {"finished": Count("id"), "on_time": VOLUME["on_time"], "late": VOLUME["late"]}
    rows = _grouped(Dossier.objects.filter(late__isnull=False, finished_at__isnull=False), ("month", "unit"),
                    counts, month=_month("finished_at"), unit=F("receiving_unit__agency_code"))
    return [{**_key(r), "on_time_rate": _rate(r["on_time"], r["finished"])} for r in rows]


# --- reports reused -----------------------------------------------------------------------------------------------

def digitization() -> Rows:
    """The digitization inspection report of the whole tree, year by year."""
    root = root_unit()
    if root is None:
        return []
    rows = []
    for year in _years():
        report = digitization_report(root, date(year, 1, 1), date(year, 12, 31))
        rows.extend({"year": year, **{c: r[c] for c in DIGITIZATION_COLUMNS}} for r in report["rows"])
    return rows


INDEX_COLUMNS = ("year", "unit", "unit_name_vi", "points", "applicable_maximum", "maximum", "submitted",
                 "submitted_online", "received", "on_time_rate", *(f"{g.id}_points" for g in GROUPS))


def index_scores() -> Rows:
    """The service-quality index (index-766) scorecard of the top unit and each unit under it, year by year."""
    root = root_unit()
    if root is None:
        return []
    rows = []
    units_ = [root, *Unit.objects.filter(parent=root).order_by("agency_code")]
    for year in _years():
        for unit in units_:
            card = index_queries.scorecard(index_queries.context(unit, Period(year)))
            progress = next(i for g in card["groups"] for i in g["indicators"] if i["id"] == "2.1")
            rows.append({
                "year": year, "unit": unit.agency_code, "unit_name_vi": unit.name_vi,
                "points": _round(card["total"]["points"]),
                "applicable_maximum": _round(card["total"]["applicable_maximum"]), "maximum": card["total"]["maximum"],
                **card["volume"], "on_time_rate": _round(progress["rate"]),
                **{f"{g['id']}_points": _round(g["points"]) for g in card["groups"]},
            })
    return rows


def petitions() -> Rows:
    counts = {
        "received": Count("id"), "open": Count("id", filter=Q(state__in=OPEN)),
        "refused": Count("id", filter=Q(state=State.REFUSED)), "answered": Count("id", filter=Q(state__in=ANSWERED)),
        "published": Count("id", filter=Q(state=State.PUBLISHED)),
        "answers_on_time": Count("id", filter=Q(answered_on_time=True)),
        "answers_late": Count("id", filter=Q(answered_on_time=False)),
    }
    rows = _grouped(Petition.objects.all(), ("month", "unit", "kind", "category"), counts,
                    month=_month("sent_at"), unit=F("unit__agency_code"))
    return [_key(r) for r in rows]


def results() -> Rows:
    counts = {"issued": Count("id"), **{s.value: Count("id", filter=Q(state=s)) for s in ResultState}}
    rows = _grouped(Result.objects.all(), ("month", "unit"), counts, month=_month("issued_at"),
                    unit=F("issuer__agency_code"))
    return [_key(r) for r in rows]
