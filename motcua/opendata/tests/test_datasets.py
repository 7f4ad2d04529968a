"""The datasets: aggregated from live data, no personal data, files regenerated only when their content changes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta

from django.core.management import call_command

from motcua.core import clock
from motcua.core.clock import FrozenClock, use_clock
from motcua.demo.data import CITIZENS
from motcua.dossiers.models import Dossier
from motcua.opendata import services
from motcua.opendata.datasets import CATEGORIES, DEFINITIONS
from motcua.opendata.models import Dataset, Resource


def _csv(name):
    content = bytes(Resource.objects.get(dataset__name=name, format="CSV").content).decode()
    return list(csv.DictReader(io.StringIO(content)))


def test_thirteen_categories_each_with_csv_and_json(published):
    assert len(CATEGORIES) == 13 and len(DEFINITIONS) == 13
    assert sorted(published.changed) == sorted(d.name for d in DEFINITIONS)
    assert {g for d in Dataset.objects.all() for g in d.groups} == {c.name for c in CATEGORIES}
    for resource in Resource.objects.all():
        content = bytes(resource.content)
        assert resource.sha256 == hashlib.sha256(content).hexdigest() and resource.size == len(content)
    for definition in DEFINITIONS:
        rows = _csv(definition.name)
        records = json.loads(bytes(Resource.objects.get(dataset__name=definition.name, format="JSON").content))
        assert len(rows) == len(records)
        assert list(records[0]) == list(definition.columns) if records else True


def test_volumes_match_the_dossiers(published):
    total = Dossier.objects.count()
    assert total > 0
    monthly = _csv("ho-so-theo-thang")
    assert sum(int(r["submitted"]) for r in monthly) == total
    assert [r["month"] for r in monthly] == sorted({r["month"] for r in monthly})
    assert sum(int(r["submitted"]) for r in _csv("ho-so-theo-linh-vuc")) == total
    assert sum(int(r["submitted"]) for r in _csv("ho-so-theo-don-vi")) == total
    assert sum(int(r["submitted"]) for r in _csv("ho-so-theo-kenh")) == total
    on_time = _csv("ty-le-dung-han")
    settled = Dossier.objects.filter(late__isnull=False, finished_at__isnull=False)
    assert sum(int(r["finished"]) for r in on_time) == settled.count()
    assert sum(int(r["late"]) for r in on_time) == settled.filter(late=True).count()
    index = _csv("chi-so-phuc-vu")
    assert index and index[0]["unit"] and float(index[0]["points"]) > 0
    digitization = _csv("so-hoa")
    assert int(digitization[0]["dossiers"]) <= total and any(int(r["dossiers"]) == total for r in digitization)


def test_no_personal_data_in_any_file(published):
    secrets = set()
    for _username, national_id, full_name, *_rest in CITIZENS:
        secrets |= {national_id, full_name}
    for dossier in Dossier.objects.all():
        secrets |= {dossier.code, dossier.lookup_key, dossier.owner_id_number, dossier.owner_name}
        secrets |= {str(v) for v in dossier.owner.values() if isinstance(v, str) and len(v) > 5}
    secrets.discard("")
    assert len(secrets) > 100
    for resource in Resource.objects.all():
        text = bytes(resource.content).decode()
        leaked = [s for s in secrets if s in text]
        assert not leaked, (resource.dataset.name, resource.format, leaked[:3])
        assert "@" not in text


def test_refresh_keeps_last_modified_when_nothing_changed(published, settings):
    before = {r.pk: (r.sha256, r.last_modified) for r in Resource.objects.all()}
    modified = dict(Dataset.objects.values_list("name", "modified_at"))
    later = clock.now() + timedelta(days=1)
    with use_clock(FrozenClock(later)):
        report = services.refresh_all()
    assert report.changed == [] and len(report.unchanged) == 13
    assert {r.pk: (r.sha256, r.last_modified) for r in Resource.objects.all()} == before
    assert dict(Dataset.objects.values_list("name", "modified_at")) == modified
    # a change of the live data moves only the files it touches
    Dossier.objects.filter(pk=Dossier.objects.order_by("pk").first().pk).update(channel=1)
    with use_clock(FrozenClock(later)):
        report = services.refresh_all()
    assert "ho-so-theo-kenh" in report.changed and "thu-tuc-hanh-chinh" not in report.changed
    assert Resource.objects.get(dataset__name="ho-so-theo-kenh", format="CSV").last_modified == later
    assert Dataset.objects.get(name="ho-so-theo-kenh").modified_at == later
    assert Dataset.objects.get(name="thu-tuc-hanh-chinh").modified_at == modified["thu-tuc-hanh-chinh"]


def test_command_publishes_and_queues_the_scheduled_refresh(demo, settings):
    from django_tasks_db.models import DBTaskResult

    settings.MOTCUA_OPENDATA_REFRESH_MINUTES = 30
    out = io.StringIO()
    call_command("opendata_refresh", stdout=out)
    assert "13 datasets changed" in out.getvalue() and "Next refresh queued" in out.getvalue()
    queued = DBTaskResult.objects.get(task_path="motcua.opendata.tasks.refresh_opendata", status="READY")
    assert queued.run_after >= clock.now() + timedelta(minutes=29)
    call_command("opendata_refresh", stdout=io.StringIO())  # one run waits at a time
    assert DBTaskResult.objects.filter(task_path="motcua.opendata.tasks.refresh_opendata").count() == 1
    from motcua.opendata.tasks import refresh_opendata

    assert refresh_opendata.call() == 0  # the task itself: nothing changed since
