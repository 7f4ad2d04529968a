"""The scope of a scorecard (unit with its subtree, period, optional procedure) and the counter totals in it."""

from __future__ import annotations

from collections import Counter as Tally
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from django.db.models import Exists, OuterRef, Q, Sum

from motcua.catalog.models import Component, Procedure, ProcedureStatus
from motcua.organization.models import Unit

from .models import Counter
from .periods import Period
from .rules import resolve


@dataclass
class Context:
    unit: Unit
    period: Period
    now: datetime
    procedure: Procedure | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def cutoff(self) -> datetime:
        return self.period.cutoff(self.now)

    @property
    def is_root(self) -> bool:
        return self.unit.parent_id is None

    @cached_property
    def _whole_tree(self) -> bool:
        """The scope is every unit (the only root): its counters need no filter on units."""
        return self.is_root and not Unit.objects.filter(parent__isnull=True).exclude(pk=self.unit.pk).exists()

    @cached_property
    def unit_ids(self) -> list[int]:
        return list(Unit.objects.filter(path__startswith=self.unit.path).values_list("pk", flat=True))

    def counter_rows(self, period: Period | None = None) -> Any:
        period = period or self.period
        rows = Counter.objects.filter(Q(period=period.key) | Q(period__gte="T", period__lte=period.tail_key))
        if not self._whole_tree:
            rows = rows.filter(unit_id__in=Unit.objects.filter(path__startswith=self.unit.path).values("pk"))
        if self.procedure is not None:
            rows = rows.filter(procedure=self.procedure)
        return rows

    @cached_property
    def _by_procedure(self) -> dict[int, Tally[str]]:
        grouped: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
        for procedure_id, key, due, count in self.counter_rows().values("procedure_id", "key", "due").annotate(
                total=Sum("count")).values_list("procedure_id", "key", "due", "total"):
            grouped[procedure_id].append((key, due, count))
        return {pid: resolve(rows, self.cutoff) for pid, rows in grouped.items()}

    @cached_property
    def totals(self) -> Tally[str]:
        """Counter totals of the scope by key (open dossiers resolved against the cut-off)."""
        out: Tally[str] = Tally()
        for tally in self._by_procedure.values():
            out.update(tally)
        return out

    def procedures_with(self, key: str) -> set[int]:
        """Procedures with at least one dossier counted under `key` in the scope."""
        return {pid for pid, tally in self._by_procedure.items() if tally.get(key, 0) > 0}

    @cached_property
    def competence(self) -> list[Procedure]:
        """Published procedures handled at a level of the scope's units (all of them for the ministry)."""
        components = Component.objects.filter(version_id=OuterRef("current_version_id"))
        # Only what the indicators read (sources.py): not the procedure's search text nor the version's forms,
        # process and long texts.
        version = [f"current_version__{name}" for name in (
            "levels", "subjects", "online_level", "time_limit_unit", "name_vi", "steps_vi", "method_vi", "agency_vi")]
        procedures = Procedure.objects.filter(status=ProcedureStatus.PUBLISHED, current_version__isnull=False
                                              ).select_related("current_version").only(
            "code", "status", "current_version", *version).annotate(
            has_components=Exists(components)).order_by("code")
        if self.procedure is not None:
            procedures = procedures.filter(pk=self.procedure.pk)
        found = list(procedures)
        if self.is_root:
            return found
        levels = set(Unit.objects.filter(pk__in=self.unit_ids).values_list("level", flat=True))
        return [p for p in found if levels & set(p.current_version.levels or [])]
