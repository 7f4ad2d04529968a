"""The digitization inspection report: per unit (with the units below it) and period, how much is digitized.

For the dossiers a unit received in the period:
- dossiers with digitized components: the dossiers whose readable component files (PDF and images) are all digitized
  (`documents.queries.digitized_filter`: OCR done, or born electronic), out of those with at least one such file;
- reuse: the dossiers that reused at least one document of the applicant's warehouse;
- backlog: their component files still waiting for OCR (queued or processing) or failed.
For the dossiers it approved in the period (each has a result): the results digitized, i.e. issued as an electronic
result, or a paper result digitized (a bulk-digitized `KQ<n>` scan whose OCR is done).

Rows are sorted so the units that lag come first: lowest share first, then the largest backlog.
The counts are a few grouped queries over the subtree (one per figure), rolled up the unit tree in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import FieldError, PermissionDenied, ValidationFailed
from motcua.documents.models import DigitizationState, StoredFile, WarehouseDocument
from motcua.documents.queries import digitizable_filter, digitized_filter
from motcua.dossiers.models import Dossier, DossierFile, Outcome
from motcua.identity.models import User
from motcua.organization.models import Role, RoleAssignment, Unit
from motcua.organization.queries import subtree

from .models import Result

# Who may read the report: leaders and the inspection (index viewer) role of a unit, for that unit's subtree.
REPORT_ROLES = (Role.LEADER, Role.INDEX_VIEWER, Role.SYSADMIN)
FIGURES = ("dossiers", "dossiers_with_files", "dossiers_digitized", "results", "results_digitized",
           "backlog_queued", "backlog_failed", "reused")


@dataclass
class Row:
    agency_code: str
    name: str
    level: str
    path: str = ""
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))

    def as_dict(self) -> dict[str, Any]:
        c = self.counts
        return {"unit": self.agency_code, "name": self.name, "level": self.level, **c,
                "dossiers_digitized_share": share(c["dossiers_digitized"], c["dossiers_with_files"]),
                "results_digitized_share": share(c["results_digitized"], c["results"]),
                "backlog": c["backlog_queued"] + c["backlog_failed"],
                "reuse_rate": share(c["reused"], c["dossiers"])}


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def report_units(user: User) -> QuerySet[Unit]:
    """The units whose report `user` may read at the top: where they hold a report role."""
    ids = RoleAssignment.objects.filter(user=user, role__in=REPORT_ROLES).values("unit_id")
    return Unit.objects.filter(pk__in=ids).order_by("path")


def may_read(user: User, unit: Unit) -> bool:
    return any(unit.path.startswith(top.path) for top in report_units(user))


def resolve(user: Any, unit_code: str, start: date | None, end: date | None) -> tuple[Unit, date, date]:
    """The unit and period asked for, checked: 422 naming the field, 403 outside the caller's units."""
    tops = list(report_units(user))
    if not tops:
        raise PermissionDenied(_("Only leaders and inspection officers read this report."), [
            FieldError("user", "role", _("You hold no leader or inspection role."))])
    unit = tops[0] if not unit_code else Unit.objects.filter(agency_code=unit_code).first()
    if unit is None:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("unit", "exists", _("No unit has this agency code."))])
    if not may_read(user, unit):
        raise PermissionDenied(_("This unit is outside the units whose report you may read."), [
            FieldError("unit", "role", _("Outside your units."))])
    today = clock.today()
    end = end or today
    start = start or date(end.year, 1, 1)
    if start > end:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("from", "order", _("The start of the period must not be after its end."))])
    return unit, start, end


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[first instant of `start`, first instant after `end`) in local time."""
    return (timezone.make_aware(datetime.combine(start, time.min)),
            timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)))


def _by_unit(rows: Any, key: str = "receiving_unit_id") -> dict[int, int]:
    return {r[key]: r["n"] for r in rows}


def _own_counts(root: Unit, start: datetime, end: datetime) -> dict[str, dict[int, int]]:
    """Each figure per receiving unit (own dossiers only, not the units below)."""
    received = Dossier.objects.filter(receiving_unit__path__startswith=root.path, submitted_at__gte=start,
                                      submitted_at__lt=end)
    files = DossierFile.objects.filter(dossier=OuterRef("pk")).filter(digitizable_filter("file__"))
    undigitized = files.exclude(file__in=StoredFile.objects.filter(digitized_filter()))
    grouped = received.values("receiving_unit_id")
    decided = Dossier.objects.filter(receiving_unit__path__startswith=root.path, outcome=Outcome.APPROVED,
                                     finished_at__gte=start, finished_at__lt=end)
    paper_digitized = WarehouseDocument.objects.filter(dossier=OuterRef("pk")).exclude(result_code="").filter(
        file__in=StoredFile.objects.filter(digitized_filter()))
    result_digitized = Exists(Result.objects.filter(dossier=OuterRef("pk"))) | Exists(paper_digitized)
    waiting = DossierFile.objects.filter(dossier__in=received).values("dossier__receiving_unit_id")
    counts = {
        "dossiers": _by_unit(grouped.annotate(n=Count("id"))),
        "dossiers_with_files": _by_unit(received.filter(Exists(files)).values("receiving_unit_id")
                                        .annotate(n=Count("id"))),
        "dossiers_digitized": _by_unit(received.filter(Exists(files), ~Exists(undigitized))
                                       .values("receiving_unit_id").annotate(n=Count("id"))),
        "results": _by_unit(decided.values("receiving_unit_id").annotate(n=Count("id"))),
        "results_digitized": _by_unit(decided.filter(result_digitized).values("receiving_unit_id")
                                      .annotate(n=Count("id"))),
        "backlog_queued": _by_unit(waiting.filter(file__digitization__state__in=[
            DigitizationState.QUEUED, DigitizationState.PROCESSING]).annotate(n=Count("file_id", distinct=True)),
            "dossier__receiving_unit_id"),
        "backlog_failed": _by_unit(waiting.filter(file__digitization__state=DigitizationState.FAILED)
                                   .annotate(n=Count("file_id", distinct=True)), "dossier__receiving_unit_id"),
        "reused": _by_unit(received.filter(Exists(DossierFile.objects.filter(dossier=OuterRef("pk"),
                                                                             reused_from__isnull=False)))
                           .values("receiving_unit_id").annotate(n=Count("id"))),
    }
    return counts


def digitization_report(root: Unit, start: date, end: date, lang: str = "vi") -> dict[str, Any]:
    """The report of `root` and every unit below it for the days `start`..`end` (inclusive)."""
    begin, stop = period_bounds(start, end)
    own = _own_counts(root, begin, stop)
    units = list(subtree(root).order_by("path"))
    rows = {u.pk: Row(agency_code=u.agency_code, name=u.name(lang), level=u.level, path=u.path) for u in units}
    for unit in units:
        ancestors = [int(part) for part in unit.path.split("/") if part]
        for figure, values in own.items():
            value = values.get(unit.pk, 0)
            if not value:
                continue
            for ancestor in ancestors:
                if ancestor in rows:
                    rows[ancestor].counts[figure] += value
    total = rows[root.pk]
    ordered = sorted(rows.values(), key=_lag)
    return {"unit": root.agency_code, "unit_name": root.name(lang), "from": start, "to": end,
            "total": total.as_dict(), "rows": [r.as_dict() for r in ordered]}


def _lag(row: Row) -> tuple[float, int, str]:
    """Lagging first: the lowest of its shares (units with nothing to count last), then the largest backlog."""
    data = row.as_dict()
    shares = [s for s in (data["dossiers_digitized_share"], data["results_digitized_share"]) if s is not None]
    return (min(shares) if shares else 2.0, -data["backlog"], row.path)


CSV_COLUMNS = ["unit", "name", "level", "dossiers", "dossiers_with_files", "dossiers_digitized",
               "dossiers_digitized_share", "results", "results_digitized", "results_digitized_share",
               "backlog_queued", "backlog_failed", "backlog", "reused", "reuse_rate"]


def as_rows(report: dict[str, Any]) -> list[list[Any]]:
    """The report as CSV rows: a header, then one row per unit in the report's order."""
    return [CSV_COLUMNS] + [[("" if r[c] is None else r[c]) for c in CSV_COLUMNS] for r in report["rows"]]

