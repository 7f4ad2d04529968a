"""Bottleneck and early-warning reports over the API (leaders, index viewers): `reports.py` computes them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from motcua.core import clock
from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import FieldError, PermissionDenied, ValidationFailed, active_language
from motcua.identity.api import AUTH
from motcua.identity.models import User
from motcua.organization.models import Unit

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


def report_unit(user: User, code: str) -> Unit:
    """The unit a report is about: `code`, or the caller's highest report unit; 403 outside the caller's units."""
    mine = reports.report_units(user)
    if not mine:
        raise PermissionDenied(_("Reports are for leaders and index viewers."), [
            FieldError("role", "report_role", _("You hold no leader or index viewer role.")),
        ])
    if not code:
        return mine[0]
    unit = Unit.objects.filter(agency_code=code).first()
    if unit is None:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("unit", "exists", _("No unit has this agency code.")),
        ])
    if not reports.may_view(user, unit):
        raise PermissionDenied(_("This unit is outside your units."), [
            FieldError("unit", "in_scope", _("Choose one of your units or a unit under them.")),
        ])
    return unit


def period(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or clock.today()
    start = start or end - timedelta(days=30)
    if start > end:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("from", "before_to", _("The first day must not be after the last day.")),
        ])
    return start, end


def apology_url(code: str, new_due: date, reason: str) -> str:
    """The back-office workspace of the dossier with its apology form open and pre-filled."""
    query = urlencode({"draft": "apology", "new_due_at": new_due.isoformat(), "reason": reason})
    return f"{reverse('backoffice:dossier', args=[code])}?{query}#action-apology"


def with_drafts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**item, "apology_draft": {"new_due_at": item["proposed_due"], "reason": item["reason"],
                                       "url": apology_url(item["code"], item["proposed_due"], item["reason"])}}
            for item in items]


@router.get("/reports/bottlenecks", auth=AUTH, response={200: BottlenecksOut, 401: ErrorOut, 403: ErrorOut, **ERRORS},
            summary="Dwell time per step and unit (median, 90th percentile, working hours), dossiers waiting longest, "
                    "units with most overdue", by_alias=True)
def bottlenecks(request: HttpRequest, filters: Query[BottleneckFilters]) -> dict[str, Any]:
    unit = report_unit(request.auth, filters.unit)
    start, end = period(filters.from_, filters.to)
    return reports.bottlenecks(unit, start, end, active_language())


class AtRiskFilters(Schema):
    unit: str = Field("", max_length=20, description="Agency code; default: your highest unit.")


@router.get("/reports/at-risk", auth=AUTH, response={200: AtRiskOut, 401: ErrorOut, 403: ErrorOut, **ERRORS},
            summary="Dossiers at risk of being late, before they are, each with an apology draft")
def at_risk(request: HttpRequest, filters: Query[AtRiskFilters]) -> dict[str, Any]:
    unit = report_unit(request.auth, filters.unit)
    items = reports.at_risk(unit, active_language())
    return {"unit": unit.agency_code, "threshold_hours": reports.at_risk_hours(), "items": with_drafts(items)}
