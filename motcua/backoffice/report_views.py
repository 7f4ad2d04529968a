"""Bottleneck and early-warning pages for leaders and index viewers (dossiers.reports computes them)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from motcua.core.errors import DomainError, active_language
from motcua.dossiers import reports

from .views import staff_only


def _day(value: str) -> date | None:
    try:
        return parse_date(value.strip()[:10]) if value else None
    except ValueError:
        return None


def _scope(request: HttpRequest) -> tuple[object | None, HttpResponse | None]:
    try:
        return reports.report_unit(request.user, request.GET.get("unit", "").strip()[:20]), None
    except DomainError as exc:
        page = render(request, "backoffice/forbidden.html", {"message": str(exc.message)}, status=exc.status)
        return None, page


@staff_only
def bottlenecks(request: HttpRequest) -> HttpResponse:
    unit, refused = _scope(request)
    if refused is not None:
        return refused
    try:
        start, end = reports.period(_day(request.GET.get("from", "")), _day(request.GET.get("to", "")))
    except DomainError:
        start, end = reports.period(None, None)
    return render(request, "backoffice/bottlenecks.html", {
        "report": reports.bottlenecks(unit, start, end, active_language()), "unit": unit, "start": start, "end": end,
        "units": reports.report_units(request.user), "title": _("Bottlenecks"),
    })


@staff_only
def at_risk(request: HttpRequest) -> HttpResponse:
    unit, refused = _scope(request)
    if refused is not None:
        return refused
    return render(request, "backoffice/at_risk.html", {
        "items": reports.with_drafts(reports.at_risk(unit, active_language())), "unit": unit,
        "threshold": reports.at_risk_hours(), "units": reports.report_units(request.user),
    })
