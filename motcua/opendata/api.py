"""The OpenAPI description of the CKAN-compatible action API (served at /api/3/openapi.json).

The actions are answered by `views.action` at /api/3/action/{name} and /api/action/{name} (GET with query parameters
or POST with a JSON object), both through `ckan.call`. This NinjaAPI instance only documents them: each operation's
handler answers like the view does, but the routes are the view's, so CKAN's error shapes (400 with a JSON string for
an unknown action) are kept exactly.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema

from . import ckan

PREFIX = "/api/3/action"


class CkanSuccess(Schema):
    help: str
    success: bool
    result: Any


class CkanFailure(Schema):
    help: str
    success: bool
    error: dict[str, Any]


ckan_api = NinjaAPI(
    title="motcua open data (CKAN action API)",
    version="3",
    description=(
        "CKAN-compatible, read-only action API of the open data portal, at `/api/3/action/{name}` and "
        "`/api/action/{name}`. Call with GET and query parameters, or POST a JSON object. Answers use CKAN's "
        "envelope `{help, success, result}`; errors `{help, success: false, error: {__type, message | field: "
        "[messages]}}` with 404 (Not Found Error) or 409 (Validation Error, Search Query Error); an unknown action "
        "or a body that is not a JSON object gets 400 with a message string. No authentication: the data is public."
    ),
    urls_namespace="ckan",
    docs_url=None,
    openapi_url=None,
)

PARAMETERS: dict[str, list[tuple[str, str, str]]] = {
    "package_list": [("limit", "integer", "At most this many names."), ("offset", "integer", "Skip this many.")],
    "package_show": [("id", "string", "Dataset id or name.")],
    "package_search": [
        ("q", "string", "Words to find in titles, descriptions and keywords (Vietnamese or English)."),
        ("fq", "string", "Filters: groups:<name> organization:<name> tags:<tag> res_format:CSV license_id:<id>, "
                         "space-separated; a leading - negates."),
        ("rows", "integer", "Page size (default 10, at most 1000)."), ("start", "integer", "Offset of the page."),
        ("sort", "string", "score, name, title, metadata_modified, metadata_created with asc or desc, "
                           "comma-separated (default: score desc, metadata_modified desc)."),
        ("facet.field", "string", 'JSON list of fields to count, e.g. ["groups","tags"].'),
        ("facet.limit", "integer", "Values per facet (default 50, -1 for all)."),
    ],
    "organization_list": [("all_fields", "boolean", "Dictionaries instead of names."),
                          ("sort", "string", "name, title or package_count with asc or desc."),
                          ("limit", "integer", "At most this many."), ("offset", "integer", "Skip this many.")],
    "organization_show": [("id", "string", "Organization id or name."),
                          ("include_datasets", "boolean", "Add its datasets.")],
    "group_list": [("all_fields", "boolean", "Dictionaries instead of names."),
                   ("sort", "string", "name, title or package_count with asc or desc."),
                   ("limit", "integer", "At most this many."), ("offset", "integer", "Skip this many.")],
    "group_show": [("id", "string", "Group id or name."), ("include_datasets", "boolean", "Add its datasets.")],
    "resource_show": [("id", "string", "Resource id.")],
    "tag_list": [("query", "string", "Keep the keywords containing this."),
                 ("all_fields", "boolean", "Dictionaries instead of names.")],
    "status_show": [],
    "help_show": [("name", "string", "Action name.")],
}


def _document(name: str) -> None:
    params = PARAMETERS[name]
    extra = {
        "parameters": [{"name": p, "in": "query", "required": False, "description": d, "schema": {"type": t}}
                       for p, t, d in params],
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {p: {"type": t, "description": d} for p, t, d in params}}}}},
    }

    def handler(request: HttpRequest) -> HttpResponse:
        from .views import respond

        return respond(request, name)

    handler.__name__ = name
    ckan_api.api_operation(
        ["GET", "POST"], f"/{name}", operation_id=name, summary=name, tags=["CKAN action API"],
        description=(ckan.ACTIONS[name].__doc__ or "").strip(), openapi_extra=extra,
        response={200: CkanSuccess, 404: CkanFailure, 409: CkanFailure, 400: str},
    )(handler)


for _name in PARAMETERS:
    _document(_name)


def openapi_document() -> dict[str, Any]:
    return dict(ckan_api.get_openapi_schema(path_prefix=PREFIX))
