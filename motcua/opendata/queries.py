"""Reads of the open data: datasets as CKAN dictionaries, organizations (publishing units) and groups (categories),
and the search behind `package_search` and the data pages.

The catalog is small (one dataset per category), so the search filters and sorts in Python over one query; the
shapes follow CKAN 2.10's `package_show`, `organization_show`, `group_show` and `resource_show`.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db.models import Prefetch
from django.urls import reverse

from motcua.organization.models import Unit

from .datasets import BY_NAME, CATEGORIES, CATEGORY, LICENSE_TITLE, LICENSE_URL, Category
from .models import Dataset, Resource, stable_id

MEDIA_TYPES = {"CSV": "text/csv", "JSON": "application/json"}
# Fields `package_search` sorts by (CKAN's Solr sorts by these and "score").
SORT_FIELDS = ("score", "name", "title", "metadata_modified", "metadata_created", "num_resources")
FILTER_FIELDS = ("groups", "organization", "tags", "res_format", "license_id", "name", "id")


def ckan_time(value: datetime | None) -> str | None:
    """CKAN writes its timestamps in UTC without an offset."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() if value else None


def datasets(**lookup: Any) -> list[Dataset]:
    """The published datasets (or those matching `lookup`) with their publisher and resources (without bytes)."""
    files = Resource.objects.defer("content").order_by("position")
    return list(Dataset.objects.filter(**lookup).select_related("organization")
                .prefetch_related(Prefetch("resources", files)))


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def get_dataset(name_or_id: str) -> Dataset | None:
    key = _uuid(name_or_id)
    found = datasets(pk=key) if key else datasets(name=name_or_id)
    return found[0] if found else None


def get_resource(resource_id: str) -> Resource | None:
    key = _uuid(resource_id)
    return Resource.objects.defer("content").select_related("dataset").filter(pk=key).first() if key else None


def file_of(name: str, extension: str) -> Resource | None:
    return Resource.objects.filter(dataset__name=name, format=extension.upper()).first()


def download_path(resource: Resource, dataset_name: str) -> str:
    return reverse("opendata:download", args=[dataset_name, dataset_name, resource.extension])


# --- organizations (publishing units) -----------------------------------------------------------------------------

def org_name(unit: Unit) -> str:
    """A CKAN name (lowercase letters, digits, - and _) from the unit's agency code."""
    return unit.agency_code.lower().replace(".", "-")


def organization_dict(unit: Unit, count: int, language: str = "vi") -> dict[str, Any]:
    return {
        "id": str(stable_id("organization", unit.agency_code)), "name": org_name(unit),
        "title": unit.name(language), "display_name": unit.name(language), "description": unit.address,
        "image_url": "", "image_display_url": "", "created": None, "is_organization": True, "type": "organization",
        "approval_status": "approved", "state": "active", "package_count": count, "agency_code": unit.agency_code,
    }


def organizations(language: str = "vi") -> list[dict[str, Any]]:
    counts = Counter(d.organization_id for d in Dataset.objects.only("organization_id"))
    return [organization_dict(u, counts[u.pk], language) for u in Unit.objects.filter(pk__in=counts)]


def find_organization(name_or_id: str, language: str = "vi") -> dict[str, Any] | None:
    return next((o for o in organizations(language) if name_or_id in (o["name"], o["id"], o["agency_code"])), None)


# --- groups (categories) ------------------------------------------------------------------------------------------

def group_dict(category: Category, count: int, language: str = "vi") -> dict[str, Any]:
    return {
        "id": str(stable_id("group", category.name)), "name": category.name, "title": category.title(language),
        "display_name": category.title(language), "description": "", "image_url": "", "image_display_url": "",
        "created": None, "is_organization": False, "type": "group", "approval_status": "approved",
        "state": "active", "package_count": count,
    }


def groups(language: str = "vi") -> list[dict[str, Any]]:
    counts = Counter(g for d in Dataset.objects.only("groups") for g in d.groups)
    return [group_dict(c, counts[c.name], language) for c in CATEGORIES]


def find_group(name_or_id: str, language: str = "vi") -> dict[str, Any] | None:
    return next((g for g in groups(language) if name_or_id in (g["name"], g["id"])), None)


# --- datasets -----------------------------------------------------------------------------------------------------

def resource_dict(resource: Resource, dataset: Dataset, base_url: str) -> dict[str, Any]:
    return {
        "id": str(resource.id), "package_id": str(dataset.id), "position": resource.position,
        "name": f"{dataset.name}.{resource.extension}", "description": f"{dataset.title_vi} ({resource.format})",
        "format": resource.format, "mimetype": MEDIA_TYPES.get(resource.format), "url_type": None,
        "url": base_url + download_path(resource, dataset.name), "size": resource.size,
        "hash": f"sha256:{resource.sha256}", "rows": resource.rows, "state": "active", "datastore_active": False,
        "created": ckan_time(resource.created_at), "last_modified": ckan_time(resource.last_modified),
        "metadata_modified": ckan_time(resource.last_modified), "resource_type": None, "cache_url": None,
    }


def package_dict(dataset: Dataset, base_url: str, language: str = "vi") -> dict[str, Any]:
    resources = [resource_dict(r, dataset, base_url) for r in dataset.resources.all()]
    tags = [{"id": str(stable_id("tag", t)), "name": t, "display_name": t, "state": "active", "vocabulary_id": None}
            for t in dataset.tags]
    return {
        "id": str(dataset.id), "name": dataset.name, "title": dataset.title(language),
        "title_translated": {"vi": dataset.title_vi, "en": dataset.title_en},
        "notes": dataset.notes(language), "notes_translated": {"vi": dataset.notes_vi, "en": dataset.notes_en},
        "type": "dataset", "state": "active", "private": False, "isopen": True,
        "license_id": dataset.license_id, "license_title": LICENSE_TITLE, "license_url": LICENSE_URL,
        "author": None, "author_email": None, "maintainer": dataset.organization.name(language),
        "maintainer_email": None, "version": None, "frequency": dataset.frequency,
        "url": base_url + reverse("opendata:detail", args=[dataset.name]),
        "metadata_created": ckan_time(dataset.created_at), "metadata_modified": ckan_time(dataset.modified_at),
        "owner_org": str(stable_id("organization", dataset.organization.agency_code)),
        "organization": organization_dict(dataset.organization, 0, language) | {"package_count": None},
        "groups": [group_dict(CATEGORY[g], 0, language) | {"package_count": None} for g in dataset.groups
                   if g in CATEGORY],
        "tags": tags, "num_tags": len(tags), "resources": resources, "num_resources": len(resources),
        "extras": [{"key": "language", "value": "vi,en"}], "relationships_as_object": [],
        "relationships_as_subject": [],
    }


# --- search -------------------------------------------------------------------------------------------------------

@dataclass
class Search:
    q: str = ""
    filters: list[tuple[str, str, bool]] = field(default_factory=list)  # (field, value, negated)
    sort: list[tuple[str, bool]] = field(default_factory=lambda: [("score", True), ("metadata_modified", True)])
    rows: int = 10
    start: int = 0
    facet_fields: list[str] = field(default_factory=list)
    facet_limit: int = 50


def facet_values(dataset: Dataset, name: str) -> list[str]:
    """The values a dataset has for a CKAN search field."""
    values: dict[str, list[str]] = {
        "groups": list(dataset.groups), "tags": list(dataset.tags),
        "organization": [org_name(dataset.organization)], "license_id": [dataset.license_id],
        "res_format": sorted({r.format for r in dataset.resources.all()}), "name": [dataset.name],
        "id": [str(dataset.id)],
    }
    return values.get(name, [])


def _text(dataset: Dataset) -> str:
    parts = [dataset.name, dataset.title_vi, dataset.title_en, dataset.notes_vi, dataset.notes_en, *dataset.tags,
             *(CATEGORY[g].title_vi + " " + CATEGORY[g].title_en for g in dataset.groups if g in CATEGORY)]
    return " ".join(parts).casefold()


def score(dataset: Dataset, q: str) -> int:
    """How many words of `q` the dataset's text holds; -1 when a word is missing (no match)."""
    terms = [t for t in q.casefold().split() if t not in ("*:*", "*")]
    if not terms:
        return 0
    text = _text(dataset)
    found = [text.count(t) for t in terms]
    return sum(found) if all(found) else -1


def _sort_key(name: str, dataset: Dataset, points: int) -> Any:
    return {"score": points, "name": dataset.name, "title": dataset.title_vi.casefold(),
            "metadata_modified": dataset.modified_at, "metadata_created": dataset.created_at,
            "num_resources": len(dataset.resources.all())}[name]


def search(query: Search) -> tuple[int, list[Dataset], dict[str, Counter[str]]]:
    """Matching datasets (the requested page, sorted), their total count and the facet counts over all matches."""
    matches: list[tuple[Dataset, int]] = []
    for dataset in datasets():
        points = score(dataset, query.q)
        if points < 0:
            continue
        if all((value in facet_values(dataset, name)) != negated for name, value, negated in query.filters):
            matches.append((dataset, points))
    for name, descending in reversed(query.sort):
        matches.sort(key=lambda m, n=name: _sort_key(n, m[0], m[1]), reverse=descending)
    facets = {name: Counter(v for d, _p in matches for v in facet_values(d, name)) for name in query.facet_fields}
    page = [d for d, _p in matches[query.start:query.start + query.rows]]
    return len(matches), page, facets


# --- file contents for the pages ----------------------------------------------------------------------------------

def preview(dataset: Dataset, limit: int = 10) -> tuple[list[str], list[list[str]]]:
    """The header and first rows of the dataset's CSV."""
    resource = Resource.objects.filter(dataset=dataset, format="CSV").first()
    if resource is None:
        return [], []
    reader = csv.reader(io.StringIO(bytes(resource.content).decode("utf-8")))
    header = next(reader, [])
    return header, [row for _i, row in zip(range(limit), reader, strict=False)]


def records(dataset: Dataset) -> list[dict[str, Any]]:
    resource = Resource.objects.filter(dataset=dataset, format="JSON").first()
    return json.loads(bytes(resource.content)) if resource else []


def chart_series(dataset: Dataset) -> tuple[str, list[str], list[float]] | None:
    """What the dataset page draws: ("bars" or "line", labels, values), or None."""
    definition = BY_NAME.get(dataset.name)
    chart = definition.chart if definition else None
    if chart is None:
        return None
    sums: dict[str, float] = {}
    whole: dict[str, float] = {}
    for row in records(dataset):
        label = str(row.get(chart.label) or "")
        sums[label] = sums.get(label, 0) + float(row.get(chart.value) or 0)
        if chart.denominator:
            whole[label] = whole.get(label, 0) + float(row.get(chart.denominator) or 0)
    labels = list(sums)[-24:]
    if chart.denominator:
        return "line", labels, [round(100 * sums[k] / whole[k], 2) if whole.get(k) else None for k in labels]
    return "bars", labels, [sums[k] for k in labels]
