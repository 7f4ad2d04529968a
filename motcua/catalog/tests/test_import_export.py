import copy
import json
import re

import pytest
from django.core.management import CommandError, call_command

from motcua.catalog.models import Field, Procedure, ProcedureStatus, ProcedureVersion, VersionStatus
from motcua.catalog.queries import export_catalog
from motcua.catalog.services import CatalogInvalid, import_catalog
from motcua.core.errors import Conflict

pytestmark = pytest.mark.django_db


def find(document, code):
    return next(p for p in document["procedures"] if p["code"] == code)


def test_demo_catalog_has_the_required_shape(catalog):
    assert Field.objects.count() == 18
    assert Procedure.objects.filter(status=ProcedureStatus.PUBLISHED).count() >= 40
    first = Procedure.objects.get(code="1.013133")
    assert first.current_version.name_vi == "Đăng ký nghĩa vụ quân sự lần đầu"
    assert first.current_version.form_schema["type"] == "object"
    transfer_in = Procedure.objects.get(code="1.001748").current_version
    assert (transfer_in.time_limit_value, transfer_in.time_limit_unit) == (1, "working_days")
    assert not transfer_in.fees.filter(amount_vnd__gt=0).exists()
    levels = set(ProcedureVersion.objects.values_list("online_level", flat=True))
    assert {"full", "partial"} <= levels
    units = set(ProcedureVersion.objects.values_list("time_limit_unit", flat=True))
    assert {"working_days", "working_hours"} <= units
    assert ProcedureVersion.objects.filter(fees__amount_vnd__gt=0).distinct().count() >= 1
    assert ProcedureVersion.objects.filter(fees__isnull=True).count() >= 1


def test_importing_the_same_file_twice_changes_nothing(catalog, demo_catalog_data):
    versions = ProcedureVersion.objects.count()
    report = import_catalog(demo_catalog_data)
    assert not report.changed
    assert report.procedures_unchanged == len(demo_catalog_data["procedures"])
    assert ProcedureVersion.objects.count() == versions


def test_an_amendment_publishes_a_new_version_and_keeps_the_old_one(catalog, demo_catalog_data):
    amended = copy.deepcopy(demo_catalog_data)
    find(amended, "1.013133")["time_limit"]["value"] = 2
    report = import_catalog(amended)
    assert report.procedures_amended == ["1.013133"]
    procedure = Procedure.objects.get(code="1.013133")
    assert procedure.current_version.number == 2
    assert procedure.current_version.time_limit_value == 2
    old = procedure.versions.get(number=1)
    assert old.status == VersionStatus.SUPERSEDED
    assert old.time_limit_value == 1


def test_a_published_version_is_immutable(catalog):
    version = Procedure.objects.get(code="1.013133").current_version
    version.name_vi = "đã sửa"
    with pytest.raises(Conflict):
        version.save()
    version.refresh_from_db()
    assert version.name_vi == "Đăng ký nghĩa vụ quân sự lần đầu"


def test_abolished_procedures_stay_visible_as_history(catalog, demo_catalog_data, client):
    changed = copy.deepcopy(demo_catalog_data)
    find(changed, "1.001733")["status"] = "abolished"
    report = import_catalog(changed)
    assert report.procedures_abolished == ["1.001733"]
    assert client.get("/api/v1/procedures/1.001733").json()["status"] == "abolished"
    codes = [p["code"] for p in client.get("/api/v1/procedures?q=1.001733").json()["items"]]
    assert "1.001733" not in codes


def test_a_broken_file_is_refused_whole_with_every_problem_named(demo_catalog_data):
    broken = copy.deepcopy(demo_catalog_data)
    broken["procedures"][0]["time_limit"]["unit"] = "weeks"
    broken["procedures"][1]["field"] = "NO_SUCH_FIELD"
    broken["procedures"][2]["form_schema"] = {"type": "array"}
    broken["procedures"][3]["fees"] = [{"name": {"vi": "Lệ phí"}, "amount": -5}]
    broken["procedures"][4]["components"][0]["template"] = "missing-template.pdf"
    broken["procedures"].append(copy.deepcopy(broken["procedures"][5]))
    broken["announcements"][0]["items"].append({"procedure": "9.999999", "action": "add"})
    with pytest.raises(CatalogInvalid) as raised:
        import_catalog(broken)
    # Paths name the record's code too ("procedures[0] (1.013133).time_limit.unit"); compare without it.
    found = {(re.sub(r" \([^)]*\)", "", e.field), e.rule) for e in raised.value.errors}
    assert ("procedures[0].time_limit.unit", "literal_error") in found
    assert ("procedures[1].field", "unknown_field") in found
    assert ("procedures[2].form_schema", "value_error") in found
    assert ("procedures[3].fees[0].amount", "greater_than_equal") in found
    assert ("procedures[4].components[0].template", "file_missing") in found
    assert any(rule == "unique" for _, rule in found)
    assert any(rule == "unknown_procedure" for _, rule in found)
    assert Procedure.objects.count() == 0 and Field.objects.count() == 0


def test_a_broken_file_changes_nothing_in_an_existing_catalog(catalog, demo_catalog_data):
    before = json.dumps(export_catalog(), sort_keys=True)
    broken = copy.deepcopy(demo_catalog_data)
    find(broken, "1.013133")["name"]["vi"] = "Tên mới"  # a valid amendment ...
    broken["procedures"][-1]["online_level"] = "sometimes"  # ... in a file with one bad record
    with pytest.raises(CatalogInvalid):
        import_catalog(broken)
    assert json.dumps(export_catalog(), sort_keys=True) == before


def test_export_then_import_into_an_empty_catalog_round_trips(catalog, django_db_blocker):
    exported = export_catalog()
    assert len(exported["fields"]) == 18
    assert find(exported, "1.013133")["components"]
    # Wipe the catalog and import the export: the result exports identically.
    from motcua.catalog.models import Announcement

    Announcement.objects.all().delete()
    Procedure.objects.update(current_version=None)
    ProcedureVersion.objects.all().delete()
    Procedure.objects.all().delete()
    Field.objects.all().delete()
    import_catalog(json.loads(json.dumps(exported)))
    assert export_catalog() == exported


def test_import_command_reports_every_problem_and_exits_non_zero(tmp_path, demo_catalog_data):
    demo_catalog_data["procedures"][0]["online_level"] = "sometimes"
    demo_catalog_data["procedures"][1]["levels"] = []
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(demo_catalog_data), encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        call_command("import_catalog", str(path))
    message = str(raised.value)
    assert "nothing imported, 2 problem(s)" in message
    assert "procedures[0]" in message and ".online_level" in message
    assert "procedures[1]" in message and ".levels" in message
    assert Procedure.objects.count() == 0


def test_import_command_refuses_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not a JSON document"):
        call_command("import_catalog", str(path))


def test_export_command_writes_the_catalog(catalog, tmp_path):
    out = tmp_path / "out.json"
    call_command("export_catalog", output=str(out), stderr=open("/dev/null", "w"))
    assert json.loads(out.read_text(encoding="utf-8")) == export_catalog()
