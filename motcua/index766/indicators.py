"""The indicators of Decision 766 (index-766.md §2) as a registry: each has its group, maximum, threshold, what an
empty denominator gives, and a provider that returns its numerator and denominator for a scope.

A provider is one function `provider(ctx) -> Figures | None`; None means the system holds no data for it (shown as
"no data", never 0). Another app plugs a data source in with `register_provider("5.2", fn)` from its
`AppConfig.ready()` (petitions, national sync, payment gateway, population data...): nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from . import config
from .context import Context


@dataclass(frozen=True)
class Figures:
    numerator: float
    denominator: float
    value: float | None = None  # for indicators that report a value, not a rate (2.2)
    note: str = ""


Provider = Callable[[Context], Figures | None]


@dataclass(frozen=True)
class Group:
    id: str
    name: Any
    maximum: float


GROUPS = [
    Group("transparency", _("Transparency"), 18),
    Group("progress", _("Progress"), 20),
    Group("online", _("Online service"), 12),
    Group("payment", _("Online payment"), 10),
    Group("digitization", _("Digitization"), 22),
    Group("satisfaction", _("Satisfaction"), 18),
]


@dataclass(frozen=True)
class Indicator:
    id: str
    group: str
    name: Any
    maximum: float | Callable[[], float]
    threshold: float | Callable[[], float] = 100
    empty: str | Callable[[], str] = "na"  # points when D = 0: "na", "zero" or "full"
    items: str = "dossiers"  # what the drill-down lists: "dossiers", "procedures", "petitions" or "none"
    numerator_key: str = ""  # counter keys, for indicators that count dossiers
    denominator_key: str = ""
    per_procedure: bool = True
    root_only: bool = False

    def max_points(self) -> float:
        return float(self.maximum() if callable(self.maximum) else self.maximum)

    def threshold_value(self) -> float:
        return float(self.threshold() if callable(self.threshold) else self.threshold)

    def empty_rule(self) -> str:
        return self.empty() if callable(self.empty) else self.empty


def _online(indicator_id: str) -> Callable[[], float]:
    return lambda: float(config.value("MOTCUA_INDEX_ONLINE_POINTS").get(indicator_id, 0))


INDICATORS = [
    Indicator("1.1", "transparency", _("Procedures announced on time"), 6, items="procedures"),
    Indicator("1.2", "transparency", _("Procedures updated and made public on time"), 4, items="procedures",
              per_procedure=False, root_only=True),
    Indicator("1.3", "transparency", _("Procedures published with every constituent part"), 2, items="procedures",
              per_procedure=False, root_only=True),
    Indicator("1.4", "transparency", _("Dossiers synchronised to the National Public Service Portal"), 6),
    Indicator("2.1", "progress", _("Dossiers processed early or on time"), 20,
              empty=lambda: config.value("MOTCUA_INDEX_PROGRESS_EMPTY"), numerator_key="p.ok", denominator_key="p"),
    Indicator("2.2", "progress", _("Average processing time (working days)"), 0, items="dossiers",
              numerator_key="done", denominator_key="done"),
    Indicator("3.0", "online", _("Full-online dossiers among dossiers of full-online procedures"), _online("3.0"),
              numerator_key="fo.on", denominator_key="fo"),
    Indicator("3.1", "online", _("Procedures offering online public services"), _online("3.1"), threshold=80,
              items="procedures"),
    Indicator("3.2", "online", _("Online services that received dossiers"), _online("3.2"), items="procedures",
              per_procedure=False),
    Indicator("3.3", "online", _("Dossiers submitted online"), _online("3.3"), threshold=50,
              numerator_key="rcv.on.ok", denominator_key="rcv"),
    Indicator("3.5", "payment", _("Fee-bearing procedures integrated for online payment on the national portal"), 2,
              threshold=80, empty="zero", items="procedures", per_procedure=False),
    Indicator("3.5b", "payment", _("Fee-bearing procedures with online payment transactions"), 2, threshold=80,
              items="procedures", per_procedure=False),
    Indicator("3.6", "payment", _("Dossiers paid online"), 6, empty="zero", numerator_key="paid",
              denominator_key="obl"),
    Indicator("4.1", "digitization", _("Dossiers with an electronic result"), 6, numerator_key="paper.file",
              denominator_key="paper"),
    Indicator("4.2", "digitization", _("Dossiers digitized"), 4,
              threshold=lambda: config.value("MOTCUA_INDEX_DIGITIZED_THRESHOLD"), numerator_key="dig",
              denominator_key="rcv"),
    Indicator("4.3", "digitization", _("Dossiers re-using digitized data"), 2, threshold=80, numerator_key="reuse",
              denominator_key="rcv"),
    Indicator("4.4", "digitization", _("Digitized dossiers connected and shared for re-use"), 4,
              numerator_key="share", denominator_key="rcv"),
    Indicator("4.5a", "digitization", _("Procedures connected to the national population database"), 2,
              items="procedures", per_procedure=False),
    Indicator("4.5b", "digitization", _("Dossiers using population data"), 2, numerator_key="pop",
              denominator_key="rcv"),
    Indicator("ECC", "digitization", _("Electronic certified copies from originals"), 2, items="none",
              per_procedure=False),
    Indicator("5.1", "satisfaction", _("Petitions by category (tracking only)"), 0, items="petitions",
              per_procedure=False),
    Indicator("5.2", "satisfaction", _("Petitions handled on time"), 6, empty="full", items="petitions",
              per_procedure=False),
    Indicator("5.3", "satisfaction", _("Satisfaction with petition handling"), 6, empty="full", items="petitions",
              per_procedure=False),
    Indicator("5.4", "satisfaction", _("Satisfaction in receiving and processing dossiers"), 6, threshold=90,
              empty="zero", numerator_key="s.ok", denominator_key="p", per_procedure=False),
]
BY_ID = {indicator.id: indicator for indicator in INDICATORS}

_providers: dict[str, Provider] = {}


def register_provider(indicator_id: str, provider: Provider) -> None:
    """Plug a data source into an indicator (replaces the one it had, or gives data to a "no data" one)."""
    if indicator_id not in BY_ID:
        raise KeyError(f"No indicator {indicator_id!r}; known: {', '.join(BY_ID)}")
    _providers[indicator_id] = provider


def unregister_provider(indicator_id: str) -> None:
    _providers.pop(indicator_id, None)


def provider_of(indicator_id: str) -> Provider | None:
    return _providers.get(indicator_id)


def points(indicator: Indicator, figures: Figures | None) -> tuple[float | None, float | None]:
    """(rate %, points) of an indicator: points = max × min(1, rate / threshold); D = 0 follows `empty`."""
    if figures is None:
        return None, None
    maximum = indicator.max_points()
    if figures.denominator == 0:
        rule = indicator.empty_rule()
        return None, {"na": None, "zero": 0.0, "full": maximum}[rule]
    rate = 100.0 * figures.numerator / figures.denominator
    return rate, maximum * min(1.0, rate / indicator.threshold_value())
