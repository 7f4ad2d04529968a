"""Publishing: regenerate every dataset's CSV and JSON from live data (`refresh_all`).

A file's bytes are deterministic (rows in a fixed order, no generation time inside), so an unchanged dataset gives the
same SHA-256 and its resource keeps its `last_modified`; the dataset's `metadata_modified` moves only when one of its
files or its metadata changes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from motcua.core import clock
from motcua.organization.models import Unit

from .datasets import DEFINITIONS, LICENSE_ID, Definition
from .models import Dataset, Resource, stable_id
from .sources import Rows, root_unit

logger = logging.getLogger(__name__)

FORMATS = ("CSV", "JSON")


@dataclass
class RefreshReport:
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.changed)} datasets changed, {len(self.unchanged)} unchanged, "
                f"{len(self.removed)} removed")


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def render_csv(columns: tuple[str, ...], rows: Rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)
    return out.getvalue().encode("utf-8")


def render_json(columns: tuple[str, ...], rows: Rows) -> bytes:
    records = [{c: row.get(c) for c in columns} for row in rows]
    return json.dumps(records, ensure_ascii=False, cls=DjangoJSONEncoder, separators=(",", ":")).encode("utf-8")


def render(definition: Definition, fmt: str, rows: Rows) -> bytes:
    return (render_csv if fmt == "CSV" else render_json)(definition.columns, rows)


def _metadata(definition: Definition, publisher: Unit) -> dict[str, Any]:
    return {"position": DEFINITIONS.index(definition), "title_vi": definition.title_vi,
            "title_en": definition.title_en, "notes_vi": definition.notes_vi, "notes_en": definition.notes_en,
            "organization": publisher, "groups": [definition.group], "tags": list(definition.tags),
            "license_id": LICENSE_ID}


@transaction.atomic
def publish(definition: Definition, rows: Rows, publisher: Unit, now: datetime) -> bool:
    """Write one dataset's metadata and files; returns whether anything changed."""
    metadata = _metadata(definition, publisher)
    dataset = Dataset.objects.select_for_update().filter(name=definition.name).first()
    changed = dataset is None
    if dataset is None:
        dataset = Dataset(id=stable_id("dataset", definition.name), name=definition.name, created_at=now,
                          modified_at=now, **metadata)
        dataset.save()
    elif any(getattr(dataset, k) != v for k, v in metadata.items()):
        for key, value in metadata.items():
            setattr(dataset, key, value)
        changed = True
    for position, fmt in enumerate(FORMATS):
        content = render(definition, fmt, rows)
        digest = hashlib.sha256(content).hexdigest()
        resource = Resource.objects.filter(dataset=dataset, format=fmt).first()
        if resource is not None and resource.sha256 == digest:
            continue
        if resource is None:
            resource = Resource(id=stable_id("resource", definition.name, fmt), dataset=dataset, format=fmt,
                                position=position, created_at=now)
        resource.content, resource.sha256, resource.size = content, digest, len(content)
        resource.rows, resource.last_modified = len(rows), now
        resource.save()
        changed = True
    if changed:
        dataset.modified_at = now
        dataset.save()
    return changed


def refresh_all(names: list[str] | None = None) -> RefreshReport:
    """Regenerate every dataset (or those named) from live data. Nothing is published before units exist."""
    report = RefreshReport()
    publisher = root_unit()
    if publisher is None:
        return report
    for definition in DEFINITIONS:
        if names and definition.name not in names:
            continue
        rows = definition.rows()
        changed = publish(definition, rows, publisher, clock.now())
        (report.changed if changed else report.unchanged).append(definition.name)
    if not names:
        stale = Dataset.objects.exclude(name__in=[d.name for d in DEFINITIONS])
        report.removed = list(stale.values_list("name", flat=True))
        stale.delete()
    logger.info("Open data refreshed: %s", report.summary())
    return report
