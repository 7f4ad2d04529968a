"""The open questions of index-766.md §5 that change a figure, as settings with the spec's default.

Each is shown on the dashboard. Those marked `recompute` change what a dossier contributes: after changing one, run
`manage.py recompute_index`. The others are applied when a scorecard is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Setting:
    name: str
    question: str  # the open question of index-766.md §5
    default: Any
    choices: tuple[Any, ...] | None
    description: Any
    recompute: bool = False

    def value(self) -> Any:
        value = getattr(settings, self.name, self.default)
        if self.choices is not None and value not in self.choices:
            raise ImproperlyConfigured(f"{self.name} must be one of {self.choices}, not {value!r}")
        return value


SETTINGS = [
    Setting("MOTCUA_INDEX_ONLINE_POINTS", "Q1", {"3.0": 12, "3.1": 0, "3.2": 0, "3.3": 0}, None,
            _("Points of the online-service group (12) by indicator: [MET] puts all 12 on the full-online dossier "
              "share (3.0); 3.1-3.3 are shown with their rates.")),
    Setting("MOTCUA_INDEX_DIGITIZED_THRESHOLD", "Q2", 80, (80, 100),
            _("Threshold of 4.2 (dossiers digitized): 80 per the formula document, 100 as observed on the portal.")),
    Setting("MOTCUA_INDEX_PROGRESS_POPULATION", "Q4", "received_or_processed",
            ("received_or_processed", "received_in_period"),
            _("2.1 population: dossiers received up to the cut-off and not ended before the period (backlog "
              "included), or only dossiers received in the period."), recompute=True),
    Setting("MOTCUA_INDEX_PAUSE_TIME", "Q5", "working", ("working", "calendar"),
            _("Supplement waiting time subtracted in 2.1, counted in working time or in calendar time."),
            recompute=True),
    Setting("MOTCUA_INDEX_PROGRESS_EMPTY", "Q6", "na", ("na", "zero", "full"),
            _("2.1 when no dossier is in the period: no data, 0 points or full points.")),
    Setting("MOTCUA_INDEX_DIGITIZATION_DATE", "Q7", "received", ("received",),
            _("Date that puts a dossier in a period for 4.1, 4.2 and 4.5: the received date.")),
    Setting("MOTCUA_INDEX_POPULATION_MARKERS", "Q8", "vneid", ("vneid", "vneid_or_warehouse"),
            _("What counts as using population data in 4.5: a VNeID-verified account only, or also a document "
              "taken from the personal data warehouse."), recompute=True),
    Setting("MOTCUA_INDEX_ECC", "Q10", "na", ("na", "full"),
            _("Electronic certified copies, not meaningful for a ministry: no data, or full points.")),
]


_BY_NAME = {s.name: s for s in SETTINGS}


def value(name: str) -> Any:
    return _BY_NAME[name].value()


def shown() -> list[dict[str, Any]]:
    """The settings as the dashboard and the API show them."""
    return [{"name": s.name, "question": s.question, "value": s.value(), "default": s.default,
             "description": str(s.description), "recompute": s.recompute} for s in SETTINGS]
