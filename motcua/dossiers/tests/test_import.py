"""`manage.py import_dossiers`: past dossiers with their own history, checked row by row, written batch by batch."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.documents.services import store_upload
from motcua.dossiers.importing import import_lines
from motcua.dossiers.models import Dossier, DossierSequence, Event, Pause, StepRecord
from motcua.dossiers.services import Submission, submit
from motcua.identity.models import User
from motcua.integrations.models import OutboxEvent

from .conftest import FIRST_REGISTRATION_FORM, MINIMAL_PDF

pytestmark = pytest.mark.django_db
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
SAMPLE = Path(__file__).resolve().parent.parent / "demo" / "history-sample.jsonl"
NGOC_HA = "000.05.12.H26"


def sample_rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_rows(path: Path, rows: list[Any]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(path: Path, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_dossiers", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(path: Path, *args: str) -> tuple[str, str, str]:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_dossiers", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), str(failure.value)


def local(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- the sample --------------------------------------------------------------------------------------------------

def test_sample_imports_with_history_statuses_and_links(demo, frozen_clock):
    rows = sample_rows()
    assert 15 <= len(rows) <= 30
    out, err = run(SAMPLE)
    assert err == ""
    assert f"imported {len(rows)} of {len(rows)} dossier(s)" in out

    assert Dossier.objects.count() == len(rows)
    # every event of the file, plus one non-public `import` event per dossier
    assert Event.objects.count() == sum(len(r["events"]) for r in rows) + len(rows)
    for row in rows:
        dossier = Dossier.objects.get(code=row["code"])
        assert dossier.status == row["status"]
        assert dossier.receiving_unit.agency_code == row["unit"]
        assert dossier.submitted_at == local(row["submitted_at"])
        assert dossier.submitted_by is None and len(dossier.lookup_key) == 8
        assert dossier.updated_at == local(row["events"][-1]["at"])
        events = list(dossier.events.order_by("seq"))
        assert [e.seq for e in events] == list(range(1, len(row["events"]) + 2))
        assert [e.action for e in events] == [e["action"] for e in row["events"]] + ["import"]
        assert [(e.from_status, e.to_status) for e in events[:-1]] == [
            (e["from_status"], e["to_status"]) for e in row["events"]]
        assert [e.at for e in events[:-1]] == sorted(local(e["at"]) for e in row["events"])
        imported = events[-1]
        assert (imported.public, imported.from_status, imported.to_status) == (False, row["status"], row["status"])
        assert imported.data["source"] == SAMPLE.name
        assert [r["code"] for r in imported.data.get("results", [])] == [r["code"] for r in row.get("results", [])]
        if row["status"] in (3, 7, 8, 10):
            assert (dossier.current_step, dossier.current_role) == ("", "")

    by_code = {d.code: d for d in Dossier.objects.select_related("applicant")}
    # late is computed: finished after the due date
    assert by_code[f"{NGOC_HA}-230315-0002"].late is True
    assert by_code["000.07.00.H31-240812-0032"].late is True
    assert by_code[f"{NGOC_HA}-230315-0001"].late is False
    assert by_code[f"{NGOC_HA}-261120-0002"].late is None  # still being processed
    assert sum(1 for d in by_code.values() if d.late) == 2
    # the applicant's account, by national ID or tax code; none for an old 9-digit ID
    assert by_code[f"{NGOC_HA}-260410-0003"].applicant == User.objects.get(username="citizen.demo")
    assert by_code["000.07.00.H31-240812-0031"].applicant == User.objects.get(username="shipagent.demo")
    assert by_code[f"{NGOC_HA}-220908-0003"].applicant is None
    assert by_code[f"{NGOC_HA}-230315-0005"].outcome == "refused"
    assert by_code["000.03.07.H39-250214-0001"].outcome == "stopped"  # outcome implied by status 8
    # unfinished dossiers keep a step officers can act in
    steps = {code: (by_code[code].current_step, by_code[code].current_role) for code in by_code}
    assert steps[f"{NGOC_HA}-261120-0002"] == ("approve", "leader")
    assert steps[f"{NGOC_HA}-261120-0004"] == ("appraise", "handler")  # status 2: the step accept leads to
    assert steps[f"{NGOC_HA}-261123-0001"] == ("receive", "onestop")  # status 1: the first step
    assert steps["000.00.01.H26-240305-0007"] == ("return", "onestop")  # status 9: waits for return_result
    # waiting for the applicant: pauses, counters
    waiting = by_code[f"{NGOC_HA}-261120-0003"]
    assert (waiting.status, waiting.resume_status, waiting.supplement_requests) == (5, 2, 1)
    assert waiting.paused_since == local("2026-11-20T14:00:00+07:00")
    assert list(Pause.objects.filter(dossier=waiting).values_list("kind", "ended_at")) == [("supplement", None)]
    assert Pause.objects.filter(dossier=by_code["000.00.00.G11-250618-0009"], kind="payment",
                                ended_at__isnull=False).count() == 1
    assert by_code[f"{NGOC_HA}-230315-0002"].apologies == 1
    assert StepRecord.objects.filter(dossier=by_code[f"{NGOC_HA}-261120-0002"], finished_at__isnull=True,
                                     step="approve").count() == 1
    # the sequences know the imported numbers
    assert DossierSequence.objects.get(unit__agency_code=NGOC_HA, day="2023-03-15").last == 5


def test_sample_emits_one_imported_event_per_dossier_and_no_notification(demo, frozen_clock):
    run(SAMPLE)
    topics = list(OutboxEvent.objects.values_list("topic", flat=True))
    assert topics == ["dossier.imported"] * len(sample_rows())
    payload = OutboxEvent.objects.get(key="000.07.00.H31-240812-0032").payload
    assert payload == {
        "code": "000.07.00.H31-240812-0032", "status": 10, "procedure_code": "1.010540", "unit": "000.07.00.H31",
        "submitted_at": "2024-08-12T01:20:00+00:00", "finished_at": "2024-08-12T03:50:00+00:00",
        "due_at": "2024-08-12T03:25:00+00:00", "late": True, "channel": 2, "outcome": "approved",
        "accepted_at": "2024-08-12T01:25:00+00:00", "returned_at": "2024-08-12T03:55:00+00:00",
    }
    # no notification or e-mail about history; the index counters (consumer index766) read the imports
    consumers = set(OutboxEvent.objects.filter(deliveries__isnull=False).values_list("deliveries__consumer", flat=True))
    assert consumers <= {"index766"}


def test_the_version_in_force_at_submission_else_the_current_one(demo, frozen_clock):
    run(SAMPLE)
    dossier = Dossier.objects.select_related("procedure", "version").get(code=f"{NGOC_HA}-230315-0001")
    # the demo catalog was published today: no version was in force in 2023, so the current one
    assert dossier.version_id == dossier.procedure.current_version_id


def test_importing_twice_reports_every_row_as_existing_and_writes_nothing(demo, frozen_clock):
    run(SAMPLE)
    counts = (Dossier.objects.count(), Event.objects.count(), OutboxEvent.objects.count())
    _out, err, message = run_failing(SAMPLE)
    rows = sample_rows()
    for line, row in enumerate(rows, start=1):
        assert f"line {line} ({row['code']}): code: Đã có hồ sơ với mã này. [exists]" in err  # Vietnamese by default
    assert err.count("[exists]") == len(rows)
    assert f"{len(rows)} bad row(s)" in message
    assert (Dossier.objects.count(), Event.objects.count(), OutboxEvent.objects.count()) == counts


# --- bad rows ------------------------------------------------------------------------------------------------------

def _row(code: str) -> dict[str, Any]:
    return copy.deepcopy(next(r for r in sample_rows() if r["code"] == code))


def test_every_bad_row_is_listed_with_its_line_and_rule_and_the_batch_writes_nothing(demo, frozen_clock, tmp_path):
    good = _row(f"{NGOC_HA}-230315-0001")
    wrong_agency = _row(f"{NGOC_HA}-230315-0002")
    wrong_agency["code"] = "000.03.07.H39-230315-0002"
    wrong_date = _row(f"{NGOC_HA}-230315-0005")
    wrong_date["submitted_at"] = "2023-03-15T18:00:00Z"  # 16/03 01:00 in Hanoi: not the code's day
    wrong_date["events"][0]["at"] = wrong_date["finished_at"] = wrong_date["events"][1]["at"] = \
        "2023-03-16T08:00:00+07:00"
    unknown = _row(f"{NGOC_HA}-220908-0003")
    unknown["procedure"] = "9.999999"
    out_of_order = _row(f"{NGOC_HA}-240110-0004")
    out_of_order["finished_at"] = "2024-01-11T08:00:00+07:00"  # before accepted_at
    last_event = _row(f"{NGOC_HA}-260410-0001")
    last_event["status"] = 9
    last_event.pop("returned_at")
    no_return = _row(f"{NGOC_HA}-260410-0003")
    no_return.pop("returned_at")
    bad_id = _row("000.03.07.H39-230607-0002")
    bad_id["owner"]["id_number"] = "12345"
    late_given = _row("000.03.07.H39-250214-0001")
    late_given["late"] = True
    unsorted = _row("000.00.01.H26-230920-0015")
    unsorted["events"][2]["at"], unsorted["events"][1]["at"] = unsorted["events"][1]["at"], unsorted["events"][2]["at"]
    repeated = _row(f"{NGOC_HA}-230315-0001")
    naive = _row("000.07.00.H31-240812-0031")
    naive["submitted_at"] = "2024-08-12T08:10:00"
    lines = [good, wrong_agency, wrong_date, unknown, out_of_order, last_event, no_return, bad_id, late_given,
             "{not json", unsorted, repeated, naive]
    path = write_rows(tmp_path / "bad.jsonl", lines)

    _out, err, message = run_failing(path)
    expected = [
        (2, "000.03.07.H39-230315-0002", "code", "agency"),
        (3, f"{NGOC_HA}-230315-0005", "code", "date"),
        (4, f"{NGOC_HA}-220908-0003", "procedure", "exists"),
        (5, f"{NGOC_HA}-240110-0004", "finished_at", "order"),
        (6, f"{NGOC_HA}-260410-0001", "status", "last_event"),
        (7, f"{NGOC_HA}-260410-0003", "returned_at", "required_by_status"),
        (8, "000.03.07.H39-230607-0002", "owner.id_number", "format"),
        (9, "000.03.07.H39-250214-0001", "late", "computed"),
        (10, "?", "row", "json"),
        (11, "000.00.01.H26-230920-0015", "events[2].at", "order"),
        (12, f"{NGOC_HA}-230315-0001", "code", "repeated"),
        (13, "000.07.00.H31-240812-0031", "submitted_at", "timezone_aware"),
    ]
    for line, code, field, rule in expected:
        assert any(text.startswith(f"  line {line} ({code}): {field}: ") and text.endswith(f"[{rule}]")
                   for text in err.splitlines()), (line, rule, err)
    assert "  line 1 (" not in err
    assert "12 bad row(s)" in message and "lines 1-13" in message
    assert Dossier.objects.count() == 0 and Event.objects.count() == 0 and OutboxEvent.objects.count() == 0
    assert DossierSequence.objects.count() == 0


def test_a_bad_row_in_batch_2_leaves_batch_1_imported(demo, frozen_clock, tmp_path):
    rows = sample_rows()
    rows[6]["owner"]["id_number"] = "abc"  # line 7: batch 2 of lines 6-10
    path = write_rows(tmp_path / "batches.jsonl", rows)
    out, err, message = run_failing(path, "--batch-size", "5")
    assert "batch 1 (lines 1-5, 5 rows): imported" in out
    assert "batch 2 (lines 6-10, 5 rows): NOT imported, 1 bad row(s):" in err
    assert f"line 7 ({rows[6]['code']}): owner.id_number:" in err
    assert "lines 6-10" in message and "the other batches were" in message
    imported = set(Dossier.objects.values_list("code", flat=True))
    assert imported == {r["code"] for i, r in enumerate(rows) if not 5 <= i < 10}
    assert OutboxEvent.objects.count() == len(rows) - 5


def test_dry_run_checks_everything_and_writes_nothing(demo, frozen_clock, tmp_path):
    out, err = run(SAMPLE, "--dry-run")
    assert "dry run, nothing written" in out and err == ""
    assert Dossier.objects.count() == Event.objects.count() == OutboxEvent.objects.count() == 0
    assert DossierSequence.objects.count() == 0
    rows = sample_rows()
    rows[2]["channel"] = 4
    _out, err, _message = run_failing(write_rows(tmp_path / "dry.jsonl", rows), "--dry-run")
    assert "line 3 " in err and "would not be imported" in err
    assert Dossier.objects.count() == 0


@pytest.mark.parametrize(("change", "field", "rule"), [
    (lambda r: r.update(unit="000.99.99.H99", code="000.99.99.H99-230315-0001"), "unit", "exists"),
    (lambda r: r.update(code="0000512H26-2303150001"), "code", "format"),
    (lambda r: r.update(code=f"{NGOC_HA}-230315-0000"), "code", "format"),
    (lambda r: r.update(procedure_version=7), "procedure_version", "exists"),
    (lambda r: r.update(channel="1"), "channel", "int_type"),
    (lambda r: r.update(form=["a"]), "form", "dict_type"),
    (lambda r: r["owner"].update(id_number="999206011234"), "owner.id_number", "province_code"),
    (lambda r: r.update(outcome="refused"), "outcome", "status"),
    (lambda r: r.pop("outcome"), "outcome", "required_by_status"),
    (lambda r: r["events"][0].update(at="2023-03-15T08:00:00+07:00"), "events[0].at", "before_submitted"),
    (lambda r: r["events"][1].update(from_status=5), "events[1].from_status", "chain"),
    (lambda r: r["events"][1].update(action="fast_track"), "events[1].action", "choice"),
    (lambda r: r["events"][1].update(unit="000.99.99.H99"), "events[1].unit", "exists"),
    (lambda r: r.update(returned_at="2023-03-16T09:00:00+07:00"), "returned_at", "after_last_event"),
    (lambda r: r["results"][0].update(code=f"{NGOC_HA}-230315-0009-KQ1"), "results[0].code", "format"),
    (lambda r: r["results"].append(dict(r["results"][0])), "results[1].code", "repeated"),
    (lambda r: r["results"][0].update(valid_until="2023-01-01"), "results[0].valid_until", "order"),
    (lambda r: r.update(due_at="2023-03-15T08:00:00+07:00"), "due_at", "order"),
    (lambda r: r.update(submitted_at="2027-03-15T08:05:00+07:00"), "submitted_at", "future"),
])
def test_each_rule_names_its_field(demo, frozen_clock, change, field, rule):
    row = _row(f"{NGOC_HA}-230315-0001")
    change(row)
    report = import_lines([json.dumps(row)], dry_run=True)
    found = [(e.error.field, e.error.rule) for e in report.errors]
    assert (field, rule) in found, found


def test_times_in_any_offset_count_by_the_hanoi_day(demo, frozen_clock):
    row = _row(f"{NGOC_HA}-230315-0001")
    row["submitted_at"] = row["events"][0]["at"] = "2023-03-15T01:05:00Z"  # 08:05 in Hanoi
    assert import_lines([json.dumps(row)], dry_run=True).errors == []
    row["submitted_at"] = row["events"][0]["at"] = "2023-03-14T17:05:00Z"  # 00:05 on 15/03 in Hanoi
    assert import_lines([json.dumps(row)], dry_run=True).errors == []
    row["submitted_at"] = row["events"][0]["at"] = "2023-03-14T16:55:00Z"  # 23:55 on 14/03 in Hanoi
    assert [e.error.rule for e in import_lines([json.dumps(row)], dry_run=True).errors] == ["date"]


def test_status_and_timestamps_must_agree(demo, frozen_clock):
    row = _row(f"{NGOC_HA}-261120-0002")  # status 4
    row["finished_at"] = row["events"][-1]["at"]
    report = import_lines([json.dumps(row)], dry_run=True)
    assert [(e.error.field, e.error.rule) for e in report.errors] == [("finished_at", "not_allowed_by_status")]
    row = _row(f"{NGOC_HA}-261120-0002")
    row["events"][-1]["step"] = "nowhere"
    report = import_lines([json.dumps(row)], dry_run=True)
    assert [(e.error.field, e.error.rule) for e in report.errors] == [("events[2].step", "exists")]
    row["events"][-1].pop("step")
    report = import_lines([json.dumps(row)], dry_run=True)
    assert [(e.error.field, e.error.rule) for e in report.errors] == [("events[2].step", "required")]


# --- codes after an import ------------------------------------------------------------------------------------------

def test_a_live_submission_on_an_imported_day_gets_the_next_number(demo, frozen_clock, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    run(SAMPLE)
    imported = sorted(c for c in Dossier.objects.values_list("code", flat=True) if c.startswith(f"{NGOC_HA}-260410-"))
    assert imported == [f"{NGOC_HA}-260410-0001", f"{NGOC_HA}-260410-0003"]
    frozen_clock.set(datetime(2026, 4, 10, 16, 0, tzinfo=HANOI))
    citizen = User.objects.get(username="citizen.demo")

    def pdf() -> str:
        return str(store_upload(citizen, SimpleUploadedFile("a.pdf", MINIMAL_PDF)).pk)

    dossier, created = submit(citizen, Submission(procedure="1.013133", form=dict(FIRST_REGISTRATION_FORM), components=[
        {"code": "to_khai", "files": [pdf()]}, {"code": "phieu_tu_khai_suc_khoe", "files": [pdf()]},
        {"code": "cccd", "files": [pdf()]},
    ]))
    assert created and dossier.code == f"{NGOC_HA}-260410-0004"


def test_look_ups_do_not_grow_with_the_rows(demo, frozen_clock):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    with CaptureQueriesContext(connection) as queries:
        report = import_lines(lines, batch_size=len(lines))
    assert report.dossiers == len(lines)
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    # existing codes, units, procedures, their versions, accounts: a handful per batch, whatever its size; then the
    # index's look-ups for the batch (dossiers_imported: versions, fees, units, calendars, petitions; the dossiers,
    # events and ratings come with the signal, not read back), also a fixed number per batch
    assert len(selects) <= 6 + 5, selects
