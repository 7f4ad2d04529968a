"""Back-office dashboards of the index (/backoffice/index/): scorecard by group, trend by month, ranking of units,
the settings of the open questions, drill-down pages, CSV and XLSX exports. Index viewers, leaders, administrators."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from motcua.core import clock
from motcua.core.errors import DomainError

from . import charts, config, periods, queries, reports
from .models import Counter

MAX_ITEMS = 2000


def _forbidden(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    return render(request, "backoffice/forbidden.html", {"message": message}, status=status)


def index_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-in staff who may read the index of the unit asked for (?unit=, default their top unit)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff_member:
            return _forbidden(request, _("The back office is for staff accounts."))
        try:
            code = request.GET.get("unit") or None
            unit = queries.unit_by_code(code) if code else queries.default_unit(request.user)
            if unit is None or not queries.may_view(request.user, unit):
                return _forbidden(request, _("You may not read the index of this unit."))
            period = periods.parse(_int(request.GET.get("year")), _int(request.GET.get("quarter")),
                                   _int(request.GET.get("month")), today=clock.today())
            ctx = queries.context(unit, period, queries.procedure_by_code(request.GET.get("procedure")))
        except DomainError as exc:
            return _forbidden(request, str(exc.message), status=exc.status)
        return view(request, ctx, *args, **kwargs)

    return wrapped


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return -1  # refused by periods.parse with the field named


def _query(ctx: Any) -> str:
    parts = [f"unit={ctx.unit.agency_code}", f"year={ctx.period.year}"]
    if ctx.period.quarter:
        parts.append(f"quarter={ctx.period.quarter}")
    if ctx.period.month:
        parts.append(f"month={ctx.period.month}")
    if ctx.procedure:
        parts.append(f"procedure={ctx.procedure.code}")
    return "&".join(parts)


@index_view
def dashboard(request: HttpRequest, ctx: Any) -> HttpResponse:
    card = queries.scorecard(ctx)
    trend = queries.trend(ctx.unit, ctx.period.year, now=ctx.now)
    labels = [row["label"][:2] for row in trend]
    years = sorted({int(p[:4]) for p in Counter.objects.exclude(period__startswith="T").values_list(
        "period", flat=True).distinct()} | {clock.today().year}, reverse=True)
    return render(request, "index766/dashboard.html", {
        "card": card, "ctx": ctx, "query": _query(ctx), "settings_shown": config.shown(),
        "ranking": queries.ranking(ctx.unit, ctx.period, now=ctx.now),
        "rate_chart": charts.line(_("Dossiers processed early or on time (%) by month"), labels,
                                  [row["rate"] for row in trend]),
        "volume_chart": charts.bars(_("Dossiers submitted by month"), labels, [row["submitted"] for row in trend]),
        "units": queries.viewable_units(request.user), "years": years, "months": range(1, 13),
        "quarters": range(1, 5),
    })


@index_view
def drill_down(request: HttpRequest, ctx: Any, indicator_id: str) -> HttpResponse:
    part = request.GET.get("part", "denominator")
    try:
        found = queries.items(ctx, indicator_id, part)
    except DomainError as exc:
        return _forbidden(request, str(exc.message), status=exc.status)
    indicator = queries.indicator_out(ctx, queries.BY_ID[indicator_id])
    return render(request, "index766/items.html", {
        "indicator": indicator, "ctx": ctx, "part": part, "count": len(found), "items": found[:MAX_ITEMS],
        "truncated": len(found) > MAX_ITEMS, "query": _query(ctx), "parts": queries.PARTS,
    })


@index_view
def export_csv(request: HttpRequest, ctx: Any) -> HttpResponse:
    response = HttpResponse(reports.as_csv(queries.scorecard(ctx)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="index766-{ctx.period.key}.csv"'
    return response


@index_view
def export_xlsx(request: HttpRequest, ctx: Any) -> HttpResponse:
    response = HttpResponse(reports.as_xlsx(queries.scorecard(ctx)),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="index766-{ctx.period.key}.xlsx"'
    return response
