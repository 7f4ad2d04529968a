"""Bottleneck and early-warning reports over the API (leaders, index viewers): `reports.py` computes them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import active_language
from motcua.identity.api import AUTH

from . import reports

router = Router(tags=["reports"])


class StepDwell(Schema):
    step: str
    step_name: str
    unit: str
    unit_name: str
    passes: int
    median_hours: float
    p90_hours: float


class Waiting(Schema):
    code: str
    step: str
    step_name: str
    unit: str
    since: datetime
    waiting_hours: float
    due_at: datetime | None


class OverdueUnit(Schema):
    unit: str
    unit_name: str
    overdue: int


class BottlenecksOut(Schema):
    unit: str
    from_: date = Field(..., alias="from")
    to: date
    steps: list[StepDwell]
    waiting: list[Waiting]
    overdue_units: list[OverdueUnit]


class ApologyDraft(Schema):
    new_due_at: date
    reason: str
    url: str = Field(..., description="The back-office apology form of the dossier, pre-filled with this draft.")


class AtRiskItem(Schema):
    code: str
    procedure: str
    procedure_name: str
    step: str
    step_name: str
    unit: str
    due_at: datetime
    left_hours: float
    planned_hours: float
    apology_draft: ApologyDraft


class AtRiskOut(Schema):
    unit: str
    threshold_hours: float
    items: list[AtRiskItem]


class BottleneckFilters(Schema):
    unit: str = Field("", max_length=20, description="Agency code; default: your highest unit.")
    from_: date | None = Field(None, alias="from", description="First day (default: 30 days ago).")
    to: date | None = Field(None, description="Last day, inclusive (default: today).")


@router.get("/reports/bottlenecks", auth=AUTH, response={200: BottlenecksOut, 401: ErrorOut, 403: ErrorOut, **ERRORS},
            summary="Dwell time per step and unit (median, 90th percentile, working hours), dossiers waiting longest, "
                    "units with most overdue", by_alias=True)
def bottlenecks(request: HttpRequest, filters: Query[BottleneckFilters]) -> dict[str, Any]:
    unit = reports.report_unit(request.auth, filters.unit)
    start, end = reports.period(filters.from_, filters.to)
    return reports.bottlenecks(unit, start, end, active_language())


class AtRiskFilters(Schema):
    unit: str = Field("", max_length=20, description="Agency code; default: your highest unit.")


@router.get("/reports/at-risk", auth=AUTH, response={200: AtRiskOut, 401: ErrorOut, 403: ErrorOut, **ERRORS},
            summary="Dossiers at risk of being late, before they are, each with an apology draft")
def at_risk(request: HttpRequest, filters: Query[AtRiskFilters]) -> dict[str, Any]:
    unit = reports.report_unit(request.auth, filters.unit)
    items = reports.at_risk(unit, active_language())
    return {"unit": unit.agency_code, "threshold_hours": reports.at_risk_hours(), "items": reports.with_drafts(items)}
