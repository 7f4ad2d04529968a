"""Citizen-facing pages: home, procedure search and the public procedure page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from motcua.catalog import queries
from motcua.catalog.models import OnlineLevel
from motcua.organization.models import UnitLevel


def home(request: HttpRequest) -> HttpResponse:
    fields = queries.fields_with_counts()
    return render(request, "portal/home.html", {
        "fields": fields, "total": sum(f.procedure_count for f in fields),
    })


def procedures(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    field = request.GET.get("field", "")[:30]
    level = request.GET.get("level", "")
    online = request.GET.get("online", "")
    level = level if level in UnitLevel.values else ""
    online = online if online in OnlineLevel.values else ""
    after = queries.decode_cursor(request.GET.get("cursor", "")) if request.GET.get("cursor") else None
    page = queries.search_procedures(q=q, field=field, level=level, online=online, after=after, limit=20)
    params = request.GET.copy()
    params.pop("cursor", None)
    return render(request, "portal/procedures.html", {
        "page": page, "q": q, "field": field, "level": level, "online": online,
        "fields": queries.fields_with_counts(), "levels": UnitLevel.choices, "online_levels": OnlineLevel.choices,
        "base_query": params.urlencode(),
    })


def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    procedure = queries.get_procedure(code)
    if procedure is None:
        raise Http404
    return render(request, "portal/procedure_detail.html", {
        "procedure": procedure, "version": procedure.current_version,
        "history": queries.version_history(procedure), "announcements": queries.announcements_of(procedure),
    })
