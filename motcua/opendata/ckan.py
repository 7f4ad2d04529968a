"""The CKAN-compatible action API: `call(action, params, base_url)` -> (HTTP status, JSON body), as CKAN 2.10 answers.

Success: `{"help": <help_show URL>, "success": true, "result": ...}`. Errors: 404 `{"__type": "Not Found Error",
"message": "Not found"}`, 409 `{"__type": "Validation Error", <field>: [<messages>]}` or `{"__type": "Search Query
Error", "message": ...}`, all inside `{"help", "success": false, "error"}`; an unknown action or a body that is not a
JSON object gets 400 with CKAN's message as a JSON string. Only read actions exist: the data is published by the
system, never written through this API.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings

from . import queries
from .queries import FILTER_FIELDS, SORT_FIELDS, Search

CKAN_VERSION = "2.10.4"
MAX_ROWS = 1000


class ActionError(Exception):
    status = 409

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error)
        self.error = error


class NotFound(ActionError):
    status = 404

    def __init__(self, message: str = "Not found") -> None:
        super().__init__({"__type": "Not Found Error", "message": message})


class Invalid(ActionError):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__({"__type": "Validation Error", **errors})


class BadQuery(ActionError):
    def __init__(self, message: str) -> None:
        super().__init__({"__type": "Search Query Error", "message": f"Search Query is invalid: {message}"})


Params = dict[str, Any]
ACTIONS: dict[str, Callable[[Params, str], Any]] = {}


def action(fn: Callable[[Params, str], Any]) -> Callable[[Params, str], Any]:
    ACTIONS[fn.__name__] = fn
    return fn


# --- parameters ---------------------------------------------------------------------------------------------------

def _int(params: Params, name: str, default: int, maximum: int | None = None) -> int:
    value = params.get(name, default)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid({name: ["Invalid integer"]}) from None
    if isinstance(value, bool) or number < 0:
        raise Invalid({name: ["Must be a natural number"]})
    return min(number, maximum) if maximum is not None else number


def _bool(params: Params, name: str, default: bool = False) -> bool:
    value = params.get(name, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on", "t", "y"):
        return True
    if text in ("false", "0", "no", "off", "f", "n", ""):
        return False
    raise Invalid({name: ["Value must be a boolean"]})


def _id(params: Params, *names: str) -> str:
    for name in names:
        value = params.get(name)
        if value not in (None, ""):
            return str(value)
    raise Invalid({names[0]: ["Missing value"]})


def _string_list(params: Params, name: str) -> list[str]:
    value = params.get(name)
    if value in (None, ""):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise Invalid({name: ["Could not parse as valid JSON"]}) from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid({name: ["Not a list of strings"]})
    return value


def _facet_limit(params: Params) -> int:
    """Values per facet: 50 by default, -1 for all (as CKAN)."""
    if str(params.get("facet.limit", "")).strip() == "-1":
        return -1
    return _int(params, "facet.limit", 50)


def _language(params: Params) -> str:
    return "en" if str(params.get("lang", "")).lower().startswith("en") else "vi"


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def parse_filters(text: str) -> list[tuple[str, str, bool]]:
    """CKAN's `fq` (Solr filter query) for the fields we hold: `groups:x organization:y tags:"z" -res_format:CSV`."""
    filters = []
    for token in _tokens(text):
        if token.upper() in ("AND", "+AND"):
            continue
        negated = token.startswith("-")
        name, sep, value = token.lstrip("+-").partition(":")
        if not sep or name not in FILTER_FIELDS or not value:
            raise BadQuery(f"cannot filter on {token!r}; use field:value with one of {', '.join(FILTER_FIELDS)}")
        filters.append((name, _unquote(value), negated))
    return filters


def _tokens(text: str) -> list[str]:
    """Split on spaces outside double quotes."""
    tokens, current, quoted = [], "", False
    for char in text.strip():
        if char == '"':
            quoted = not quoted
        if char.isspace() and not quoted:
            if current:
                tokens.append(current)
            current = ""
        else:
            current += char
    if current:
        tokens.append(current)
    return tokens


def parse_sort(text: str) -> list[tuple[str, bool]]:
    order = []
    for part in str(text).split(","):
        name, _sep, direction = part.strip().partition(" ")
        direction = direction.strip().lower() or "asc"
        if name not in SORT_FIELDS or direction not in ("asc", "desc"):
            raise BadQuery(f"cannot sort by {part.strip()!r}; use one of {', '.join(SORT_FIELDS)} with asc or desc")
        order.append((name, direction == "desc"))
    return order


# --- actions ------------------------------------------------------------------------------------------------------

@action
def package_list(params: Params, base_url: str) -> list[str]:
    """Return the names of the site's datasets, in name order; `limit` and `offset` page the list."""
    names = sorted(d.name for d in queries.datasets())
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", len(names))
    return names[offset:offset + limit]


@action
def package_show(params: Params, base_url: str) -> dict[str, Any]:
    """Return the metadata of a dataset and its resources. :param id: the id or name of the dataset."""
    dataset = queries.get_dataset(_id(params, "id", "name_or_id"))
    if dataset is None:
        raise NotFound()
    return queries.package_dict(dataset, base_url, _language(params))


@action
def package_search(params: Params, base_url: str) -> dict[str, Any]:
    """Search datasets: q (words), fq (groups:, organization:, tags:, res_format:, license_id:, name:), rows, start,
    sort (score, name, title, metadata_modified, metadata_created with asc or desc), facet.field (JSON list),
    facet.limit."""
    sort_text = str(params.get("sort") or "score desc, metadata_modified desc")
    q = str(params.get("q") or "")
    fq_parts = [str(params.get("fq") or "")]
    words = []
    for token in _tokens(q):  # `q` may hold field:value terms too, as Solr allows
        (fq_parts if ":" in token and token not in ("*:*",) else words).append(token)
    query = Search(
        q=" ".join(words), filters=parse_filters(" ".join(fq_parts)), sort=parse_sort(sort_text),
        rows=_int(params, "rows", 10, MAX_ROWS), start=_int(params, "start", 0),
        facet_fields=_string_list(params, "facet.field"), facet_limit=_facet_limit(params),
    )
    unknown = [f for f in query.facet_fields if f not in FILTER_FIELDS]
    if unknown:
        raise BadQuery(f"cannot facet on {', '.join(unknown)}")
    count, page, facets = queries.search(query)
    language = _language(params)
    titles = {g["name"]: g["display_name"] for g in queries.groups(language)}
    titles |= {o["name"]: o["display_name"] for o in queries.organizations(language)}
    limit = query.facet_limit if query.facet_limit >= 0 else None
    plain = {name: dict(counter.most_common(limit)) for name, counter in facets.items()}
    return {
        "count": count, "sort": sort_text, "results": [queries.package_dict(d, base_url, language) for d in page],
        "facets": plain,
        "search_facets": {name: {"title": name, "items": [
            {"name": value, "display_name": titles.get(value, value) if name in ("groups", "organization") else value,
             "count": n} for value, n in values.items()]} for name, values in plain.items()},
    }


def _listing(items: list[dict[str, Any]], params: Params) -> list[Any]:
    sort_text = str(params.get("sort") or params.get("order_by") or "name asc")
    name, _sep, direction = sort_text.strip().partition(" ")
    key = {"name": "name", "title": "title", "package_count": "package_count", "packages": "package_count"}.get(name)
    if key is None:
        raise Invalid({"sort": [f"Cannot sort by field `{name}`"]})
    items = sorted(items, key=lambda i: i[key], reverse=direction.strip().lower() == "desc")
    wanted = _string_list(params, "groups") or _string_list(params, "organizations")
    if wanted:
        items = [i for i in items if i["name"] in wanted]
    offset = _int(params, "offset", 0)
    items = items[offset:offset + _int(params, "limit", len(items))]
    return items if _bool(params, "all_fields") else [i["name"] for i in items]


def _with_datasets(found: dict[str, Any] | None, params: Params, base_url: str, fq: str) -> dict[str, Any]:
    if found is None:
        raise NotFound()
    result = {**found, "users": [], "extras": [], "groups": [], "tags": []}
    if _bool(params, "include_datasets"):
        _count, page, _facets = queries.search(Search(filters=parse_filters(fq), rows=MAX_ROWS))
        result["packages"] = [queries.package_dict(d, base_url, _language(params)) for d in page]
    return result


@action
def organization_list(params: Params, base_url: str) -> list[Any]:
    """Return the publishing units (names, or dictionaries with `all_fields`)."""
    return _listing(queries.organizations(_language(params)), params)


@action
def organization_show(params: Params, base_url: str) -> dict[str, Any]:
    """Return a publishing unit; `include_datasets` adds its datasets."""
    found = queries.find_organization(_id(params, "id"), _language(params))
    return _with_datasets(found, params, base_url, f"organization:{found['name']}" if found else "")


@action
def group_list(params: Params, base_url: str) -> list[Any]:
    """Return the categories (names, or dictionaries with `all_fields`)."""
    return _listing(queries.groups(_language(params)), params)


@action
def group_show(params: Params, base_url: str) -> dict[str, Any]:
    """Return a category; `include_datasets` adds its datasets."""
    found = queries.find_group(_id(params, "id"), _language(params))
    return _with_datasets(found, params, base_url, f"groups:{found['name']}" if found else "")


@action
def resource_show(params: Params, base_url: str) -> dict[str, Any]:
    """Return the metadata of a resource (file). :param id: the resource id."""
    resource = queries.get_resource(_id(params, "id"))
    if resource is None:
        raise NotFound()
    return queries.resource_dict(resource, resource.dataset, base_url)


@action
def tag_list(params: Params, base_url: str) -> list[Any]:
    """Return the keywords of the datasets; `query` keeps those containing it."""
    tags = sorted({t for d in queries.datasets() for t in d.tags})
    needle = str(params.get("query") or params.get("q") or "").casefold()
    tags = [t for t in tags if needle in t.casefold()]
    if _bool(params, "all_fields"):
        return [{"id": str(queries.stable_id("tag", t)), "name": t, "vocabulary_id": None} for t in tags]
    return tags


@action
def status_show(params: Params, base_url: str) -> dict[str, Any]:
    """Return the site's version and description."""
    return {"ckan_version": CKAN_VERSION, "site_title": "motcua", "site_url": base_url,
            "site_description": "Dữ liệu mở về thủ tục hành chính và giải quyết hồ sơ / Open data on administrative "
                                "procedures and their settlement", "error_emails_to": None,
            "locale_default": settings.LANGUAGE_CODE, "extensions": ["motcua"]}


@action
def help_show(params: Params, base_url: str) -> str:
    """Return the help string of an action. :param name: the action name."""
    name = _id(params, "name")
    if name not in ACTIONS:
        raise NotFound(f"Action function not found: {name}")
    return ACTIONS[name].__doc__ or ""


# --- dispatch -----------------------------------------------------------------------------------------------------

def help_url(base_url: str, name: str) -> str:
    return f"{base_url}/api/3/action/help_show?name={name}"


def call(name: str, params: Params, base_url: str) -> tuple[int, Any]:
    """Run an action; returns the HTTP status and the JSON body CKAN would send."""
    fn = ACTIONS.get(name)
    if fn is None:
        return 400, f"Bad request - Action name not known: {name}"
    envelope: dict[str, Any] = {"help": help_url(base_url, name)}
    try:
        return 200, {**envelope, "success": True, "result": fn(params, base_url)}
    except ActionError as exc:
        return exc.status, {**envelope, "success": False, "error": exc.error}


def parse_body(body: bytes) -> Params:
    """A POST body: a JSON object (empty means no parameters). ValueError with CKAN's message otherwise."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ValueError(f"Bad request - JSON Error: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("Bad request - JSON Error: Request data JSON decoded to "
                         f"{data!r} but it needs to be a dictionary.")
    return data
