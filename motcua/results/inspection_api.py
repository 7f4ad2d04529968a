"""The digitization inspection report over the API (leaders and the inspection role of a unit)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import active_language
from motcua.identity.api import AUTH

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


@router.get("/reports/digitization", auth=AUTH,
            response={200: ReportOut, 401: ErrorOut, 403: ErrorOut, **ERRORS}, by_alias=True,
            summary="Digitization inspection: per unit and period, dossiers and results digitized, backlog, reuse")
def digitization(request: HttpRequest, unit: str = Query("", max_length=20, description="Agency code; default: "
                                                                                         "your top unit."),
                 date_from: date | None = Query(None, alias="from", description="First day (default: 1 January)."),
                 date_to: date | None = Query(None, alias="to", description="Last day (default: today).")
                 ) -> dict[str, Any]:
    root, start, end = inspection.resolve(request.auth, unit, date_from, date_to)
    return inspection.digitization_report(root, start, end, active_language())
