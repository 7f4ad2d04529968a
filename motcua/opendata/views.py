"""Open data over HTTP: the CKAN action API, the files, the DCAT catalog and the public data pages. Thin: the reads
are in `queries`, the action logic in `ckan`, the RDF in `dcat`."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import http_date, quote_etag
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from motcua.core.errors import active_language
from motcua.index766 import charts

from . import ckan, dcat, queries
from .api import openapi_document
from .datasets import CATEGORIES
from .queries import MEDIA_TYPES, Search


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _json(status: int, body: object) -> JsonResponse:
    response = JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def respond(request: HttpRequest, name: str) -> HttpResponse:
    """One action call: GET query parameters (the last value of a repeated one) or a POSTed JSON object."""
    if request.method == "POST" and request.content_type != "application/x-www-form-urlencoded":
        try:
            params = ckan.parse_body(request.body)
        except ValueError as exc:
            return _json(400, str(exc))
    else:
        source = request.POST if request.method == "POST" else request.GET
        params = {key: source.get(key) for key in source}
    status, body = ckan.call(name, params, base_url(request))
    return _json(status, body)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def action(request: HttpRequest, name: str) -> HttpResponse:
    """/api/3/action/<name> and /api/action/<name>: public and read-only, so no CSRF token is asked for."""
    return respond(request, name)


@require_GET
def openapi(request: HttpRequest) -> HttpResponse:
    return _json(200, openapi_document())


@require_GET
def catalog_turtle(request: HttpRequest) -> HttpResponse:
    return HttpResponse(dcat.serialize(base_url(request), "turtle"), content_type="text/turtle; charset=utf-8")


@require_GET
def catalog_jsonld(request: HttpRequest) -> HttpResponse:
    return HttpResponse(dcat.serialize(base_url(request), "json-ld"),
                        content_type="application/ld+json; charset=utf-8")


@require_GET
def download(request: HttpRequest, name: str, file: str, extension: str) -> HttpResponse:
    """A dataset's file (/data/<name>/<name>.csv), with its SHA-256 as ETag and its last change as Last-Modified."""
    resource = queries.file_of(name, extension) if file == name else None
    if resource is None:
        raise Http404(_("No such file."))
    etag = quote_etag(resource.sha256)
    if request.headers.get("If-None-Match") == etag:
        return HttpResponse(status=304, headers={"ETag": etag})
    charset = "; charset=utf-8"
    response = HttpResponse(bytes(resource.content), content_type=MEDIA_TYPES[resource.format] + charset)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(resource.last_modified.timestamp())
    response["Content-Disposition"] = f'inline; filename="{name}.{resource.extension}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def dataset_list(request: HttpRequest) -> HttpResponse:
    """The datasets, searched by words and filtered by category."""
    q = request.GET.get("q", "").strip()[:200]
    group = request.GET.get("group", "").strip()[:50]
    filters = [("groups", group, False)] if group else []
    count, found, facets = queries.search(Search(q=q, filters=filters, sort=[("score", True), ("name", False)],
                                                 rows=1000, facet_fields=["groups"]))
    return render(request, "opendata/list.html", {
        "datasets": found, "count": count, "q": q, "group": group, "lang": active_language(),
        "categories": [(c, facets["groups"].get(c.name, 0)) for c in CATEGORIES],
    })


@require_GET
def dataset_detail(request: HttpRequest, name: str) -> HttpResponse:
    dataset = queries.get_dataset(name)
    if dataset is None:
        raise Http404(_("No such dataset."))
    lang = active_language()
    header, rows = queries.preview(dataset)
    series = queries.chart_series(dataset)
    chart = None
    if series and series[1]:
        kind, labels, values = series
        title = dataset.title(lang)
        chart = charts.line(title, labels, values) if kind == "line" else charts.bars(title, labels, values)
    return render(request, "opendata/detail.html", {
        "dataset": dataset, "lang": lang, "header": header, "rows": rows, "chart": chart,
        "resources": list(dataset.resources.all()),
        "categories": [c for c in CATEGORIES if c.name in dataset.groups],
        "api_url": f"/api/3/action/package_show?id={dataset.name}",
    })
