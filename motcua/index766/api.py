"""The index over the API: scorecard, drill-down, trend, ranking; export of dossiers in the import format.

For officers holding the index viewer, leader or system administrator role in the unit asked for or above it."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from motcua.core import clock
from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import FieldError, PermissionDenied, ValidationFailed
from motcua.identity.api import AUTH
from motcua.organization.models import Unit

from . import config, export, periods, queries
from .periods import VN

router = Router(tags=["index"])
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, **ERRORS}


class ScopeIn(Schema):
    unit: str | None = Field(None, max_length=20, description="Agency code; default: the caller's top unit.")
    year: int | None = Field(None, description="Default: the current year.")
    quarter: int | None = Field(None, description="1-4 (leave month out).")
    month: int | None = Field(None, description="1-12 (leave quarter out).")
    procedure: str | None = Field(None, max_length=30, description="Procedure code, where the indicator allows it.")


class ItemsIn(ScopeIn):
    part: Literal["numerator", "denominator", "lost"] = Field(
        "denominator", description="lost: in the denominator but not the numerator (what cost points).")
    limit: int = Field(1000, ge=1, le=10000)


class IndicatorOut(Schema):
    id: str
    group: str
    name: str
    numerator: float | None
    denominator: float | None
    value: float | None = Field(None, description="2.2 only: average processing time in working days.")
    rate: float | None = Field(None, description="Percent, full precision; null: no data or empty denominator.")
    points: float | None
    maximum: float
    threshold: float
    has_data: bool
    note: str
    drill_down: bool


class GroupOut(Schema):
    id: str
    name: str
    maximum: float
    points: float | None
    applicable_maximum: float
    indicators: list[IndicatorOut]


class PeriodOut(Schema):
    key: str
    label: str
    start: datetime
    end: datetime
    running: bool
    cutoff: datetime


class ScorecardOut(Schema):
    unit: dict[str, str]
    procedure: str | None
    period: PeriodOut
    total: dict[str, float | None]
    volume: dict[str, int]
    groups: list[GroupOut]
    settings: list[dict[str, Any]]


class ItemOut(Schema):
    kind: str
    code: str
    name: str
    procedure: str
    unit: str
    submitted_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    status: int | None
    in_numerator: bool
    link: str
    state: str = ""


class ItemsOut(Schema):
    indicator: str
    part: str
    count: int
    items: list[ItemOut]


def scope_unit(request: HttpRequest, code: str | None) -> Unit:
    """The unit asked for (default: the caller's top unit), if the caller may read its index; else 403."""
    user = request.auth
    if not getattr(user, "is_staff_member", False):
        raise PermissionDenied(_("The index is for officers."), [
            FieldError("Authorization", "staff_only", _("Sign in with a staff account."))])
    unit = queries.unit_by_code(code) if code else queries.default_unit(user)
    if unit is None or not queries.may_view(user, unit):
        raise PermissionDenied(_("You may not read the index of this unit."), [
            FieldError("unit", "role", _("Index viewer, leader or administrator of the unit or a unit above it."))])
    return unit


def context_for(request: HttpRequest, scope: ScopeIn) -> Any:
    unit = scope_unit(request, scope.unit)
    period = periods.parse(scope.year, scope.quarter, scope.month, today=clock.today())
    return queries.context(unit, period, queries.procedure_by_code(scope.procedure))


@router.get("/index/scorecard", auth=AUTH, response={200: ScorecardOut, **READ_ERRORS},
            summary="Scorecard of Decision 766: groups and indicators with numerator, denominator, rate, points")
def scorecard(request: HttpRequest, scope: Query[ScopeIn]) -> dict[str, Any]:
    return {**queries.scorecard(context_for(request, scope)), "settings": config.shown()}


@router.get("/index/indicators/{indicator_id}/items", auth=AUTH, response={200: ItemsOut, **READ_ERRORS},
            summary="Drill-down: the dossiers or procedures behind an indicator's figure")
def indicator_items(request: HttpRequest, indicator_id: str, scope: Query[ItemsIn]) -> dict[str, Any]:
    found = queries.items(context_for(request, scope), indicator_id, scope.part)
    return {"indicator": indicator_id, "part": scope.part, "count": len(found),
            "items": [vars(item) for item in found[: scope.limit]]}


class TrendIn(Schema):
    unit: str | None = Field(None, max_length=20)
    year: int | None = None
    indicator: str = Field("2.1", max_length=10)


@router.get("/index/trend", auth=AUTH, response={200: list[dict[str, Any]], **READ_ERRORS},
            summary="One indicator month by month in a year")
def trend(request: HttpRequest, params: Query[TrendIn]) -> list[dict[str, Any]]:
    unit = scope_unit(request, params.unit)
    period = periods.parse(params.year, today=clock.today())
    if params.indicator not in queries.BY_ID:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("indicator", "choice", _("Not an indicator id."))])
    return queries.trend(unit, period.year, params.indicator)


@router.get("/index/ranking", auth=AUTH, response={200: list[dict[str, Any]], **READ_ERRORS},
            summary="The unit's child units ranked by index points")
def ranking(request: HttpRequest, scope: Query[ScopeIn]) -> list[dict[str, Any]]:
    ctx = context_for(request, scope)
    return queries.ranking(ctx.unit, ctx.period)


class ExportIn(Schema):
    from_: date | None = Field(None, alias="from", description="First day of submission (Vietnam time).")
    to: date | None = Field(None, description="Last day of submission, inclusive.")
    unit: str | None = Field(None, max_length=20)


@router.get("/export/dossiers.jsonl", auth=AUTH, response={200: None, **READ_ERRORS},
            summary="Dossiers with their history, one JSON object a line, in the import_dossiers format",
            openapi_extra={"responses": {"200": {"description": "JSON Lines (docs/dossier-import.md)",
                                                 "content": {"application/x-ndjson": {}}}}})
def export_dossiers(request: HttpRequest, params: Query[ExportIn]) -> StreamingHttpResponse:
    unit = scope_unit(request, params.unit)
    if params.from_ and params.to and params.from_ > params.to:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("to", "order", _("to must not be before from."))])
    start = datetime.combine(params.from_, time.min, tzinfo=VN) if params.from_ else None
    end = datetime.combine(params.to, time.max, tzinfo=VN) if params.to else None
    response = StreamingHttpResponse(export.lines(export.dossiers(start, end, unit)),
                                     content_type="application/x-ndjson; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="dossiers.jsonl"'
    return response
