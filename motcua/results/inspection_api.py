"""The digitization inspection report over the API (leaders and the inspection role of a unit)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from motcua.core import clock
from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import FieldError, PermissionDenied, ValidationFailed, active_language
from motcua.identity.api import AUTH
from motcua.organization.models import Unit

from . import inspection

router = Router(tags=["reports"])


class ReportRow(Schema):
    unit: str
    name: str
    level: str
    dossiers: int = Field(..., description="Dossiers received in the period (by the unit and the units below).")
    dossiers_with_files: int = Field(..., description="Of those, with at least one readable component file.")
    dossiers_digitized: int = Field(..., description="Of those, with every readable component file digitized.")
    dossiers_digitized_share: float | None
    results: int = Field(..., description="Dossiers approved in the period (each has a result).")
    results_digitized: int = Field(..., description="Electronic results, or paper results digitized.")
    results_digitized_share: float | None
    backlog_queued: int = Field(..., description="Component files waiting for OCR (queued or processing).")
    backlog_failed: int = Field(..., description="Component files whose OCR failed.")
    backlog: int
    reused: int = Field(..., description="Dossiers that reused at least one warehouse document.")
    reuse_rate: float | None


class ReportOut(Schema):
    unit: str
    unit_name: str
    from_: date = Field(..., alias="from")
    to: date
    total: ReportRow
    rows: list[ReportRow] = Field(..., description="Every unit of the subtree, the units that lag first.")


def resolve(user: Any, unit_code: str, start: date | None, end: date | None) -> tuple[Unit, date, date]:
    """The unit and period asked for, checked: 422 naming the field, 403 outside the caller's units."""
    tops = list(inspection.report_units(user))
    if not tops:
        raise PermissionDenied(_("Only leaders and inspection officers read this report."), [
            FieldError("user", "role", _("You hold no leader or inspection role."))])
    unit = tops[0] if not unit_code else Unit.objects.filter(agency_code=unit_code).first()
    if unit is None:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("unit", "exists", _("No unit has this agency code."))])
    if not inspection.may_read(user, unit):
        raise PermissionDenied(_("This unit is outside the units whose report you may read."), [
            FieldError("unit", "role", _("Outside your units."))])
    today = clock.today()
    end = end or today
    start = start or date(end.year, 1, 1)
    if start > end:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError("from", "order", _("The start of the period must not be after its end."))])
    return unit, start, end


@router.get("/reports/digitization", auth=AUTH,
            response={200: ReportOut, 401: ErrorOut, 403: ErrorOut, **ERRORS}, by_alias=True,
            summary="Digitization inspection: per unit and period, dossiers and results digitized, backlog, reuse")
def digitization(request: HttpRequest, unit: str = Query("", max_length=20, description="Agency code; default: "
                                                                                         "your top unit."),
                 date_from: date | None = Query(None, alias="from", description="First day (default: 1 January)."),
                 date_to: date | None = Query(None, alias="to", description="Last day (default: today).")
                 ) -> dict[str, Any]:
    root, start, end = resolve(request.auth, unit, date_from, date_to)
    return inspection.digitization_report(root, start, end, active_language())
