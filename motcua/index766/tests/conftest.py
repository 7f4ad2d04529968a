"""Fixtures of the index tests: the worked example of index-766.md §4 (ministry M, child unit U1, P1-P5, D1-D10)."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from motcua.core.clock import FrozenClock, use_clock

VN = ZoneInfo("Asia/Ho_Chi_Minh")
M, U1 = "000.00.00.G11", "000.01.00.G11"


def at(text: str) -> str:
    """'02/03 08:00' in March 2026 (or 'dd/mm/yyyy HH:MM'), Vietnam time, as ISO 8601."""
    day, clock_time = text.split(" ")
    parts = day.split("/")
    year = int(parts[2]) if len(parts) == 3 else 2026
    hour, minute = (int(x) for x in clock_time.split(":"))
    return datetime(year, int(parts[1]), int(parts[0]), hour, minute, tzinfo=VN).isoformat()


def example_catalog(template: dict[str, Any]) -> dict[str, Any]:
    """P1-P5 of the worked example, from a demo procedure."""
    rows = [("P1", True, ["citizen"], 5), ("P2", False, ["citizen"], 10), ("P3", False, ["enterprise"], 10),
            ("P4", True, ["citizen"], 10), ("P5", False, ["citizen"], 10)]
    procedures = []
    for index, (name, paper, subjects, limit) in enumerate(rows, start=1):
        item = copy.deepcopy(template)
        item.update({"code": f"9.00000{index}", "levels": ["ministry", "department"], "subjects": subjects,
                     "online_level": "full", "fees": []})
        item["name"] = {"vi": f"Thủ tục {name}", "en": f"Procedure {name}"}
        item["time_limit"] = {"value": limit, "unit": "working_days"}
        item["result"] = {**item["result"], "paper_required": paper}
        procedures.append(item)
    return procedures


def _row(code: str, proc: int, unit: str, status: int, events: list[tuple[str, str, int | None, int, str]],
         marks: dict[str, bool] | None = None, due: str | None = None, **extra: Any) -> dict[str, Any]:
    evs = [{"action": a, "at": at(t), "from_status": f, "to_status": s, **({"step": st} if st else {})}
           for a, t, f, s, st in events]
    row: dict[str, Any] = {
        "code": code, "procedure": f"9.00000{proc}", "unit": unit, "channel": 2,
        "owner": {"name": "Nguyễn Văn A", "id_number": "001206011234"},
        "submitted_at": evs[0]["at"], "status": status, "events": evs,
    }
    accepted = next((e["at"] for e in evs if e["to_status"] == 2), None)
    if accepted:
        row["accepted_at"] = accepted
    if due:
        row["due_at"] = at(due)
    finished = next((e["at"] for e in evs if e["to_status"] in (3, 7, 8, 9)), None)
    if finished:
        row["finished_at"] = finished
    if status == 10:
        row["returned_at"] = evs[-1]["at"]
        row["finished_at"] = row.get("finished_at") or evs[-1]["at"]
    if status in (9, 10):
        row["outcome"] = "approved"
    if marks is not None:
        row["marks"] = marks
    row.update(extra)
    return row


def _marks(files: bool, reuse: bool, warehouse: bool, result: bool, catalogue: bool, vneid: bool) -> dict[str, bool]:
    return {"components_have_files": files, "reuses_digitized_data": reuse, "from_personal_warehouse": warehouse,
            "result_file": result, "result_synced_to_catalog": catalogue, "vneid_verified": vneid}


def example_rows() -> list[dict[str, Any]]:
    sub, acc = "submit", "accept"
    return [
        _row(f"{M}-260302-0001", 1, M, 10, [(sub, "02/03 07:50", None, 1, ""), (acc, "02/03 08:00", 1, 2, ""),
                                           ("approve", "06/03 10:00", 2, 9, ""),
                                           ("return_result", "10/03 09:00", 9, 10, "")],
             _marks(True, True, True, True, True, True), "09/03 17:00"),
        _row(f"{M}-260303-0001", 1, M, 9, [(sub, "03/03 07:50", None, 1, ""), (acc, "03/03 08:00", 1, 2, ""),
                                          ("approve", "12/03 10:00", 2, 9, "")],
             _marks(True, False, False, True, True, True), "10/03 17:00"),
        _row(f"{U1}-260304-0001", 1, U1, 9, [(sub, "04/03 07:50", None, 1, ""), (acc, "04/03 08:00", 1, 2, ""),
                                            ("request_supplement", "05/03 09:00", 2, 5, "appraise"),
                                            ("supplement", "09/03 09:00", 5, 2, "appraise"),
                                            ("approve", "13/03 09:00", 2, 9, "")],
             _marks(True, False, False, False, False, False), "11/03 17:00"),
        _row(f"{U1}-260316-0001", 2, U1, 4, [(sub, "16/03 07:50", None, 1, ""), (acc, "16/03 08:00", 1, 2, ""),
                                            ("complete_step", "16/03 10:00", 2, 4, "approve")],
             _marks(True, False, False, False, False, True), "27/03 17:00"),
        _row(f"{M}-260320-0001", 2, M, 4, [(sub, "20/03 07:50", None, 1, ""), (acc, "20/03 08:00", 1, 2, ""),
                                          ("complete_step", "20/03 10:00", 2, 4, "approve")],
             _marks(True, True, False, False, False, False), "03/04 17:00"),
        _row(f"{M}-260310-0001", 2, M, 5, [(sub, "10/03 07:50", None, 1, ""), (acc, "10/03 08:00", 1, 2, ""),
                                          ("request_supplement", "12/03 14:00", 2, 5, "appraise")],
             _marks(False, False, False, False, False, False), "20/03 17:00"),
        _row(f"{U1}-260305-0001", 2, U1, 5, [(sub, "05/03 07:50", None, 1, ""), (acc, "05/03 08:00", 1, 2, ""),
                                            ("request_supplement", "06/03 09:00", 2, 5, "appraise"),
                                            ("supplement", "09/03 09:00", 5, 2, "appraise"),
                                            ("request_supplement", "13/03 09:00", 2, 5, "appraise")],
             _marks(True, False, False, False, False, False), "19/03 17:00"),
        _row(f"{M}-260318-0001", 1, M, 9, [(sub, "18/03 07:50", None, 1, ""), (acc, "18/03 08:00", 1, 2, ""),
                                          ("approve", "19/03 15:00", 2, 9, "")],
             _marks(False, True, False, True, False, False)),
        _row(f"{M}-260324-0001", 2, M, 3, [(sub, "24/03 08:00", None, 1, ""), ("refuse", "24/03 10:00", 1, 3, "")]),
        _row(f"{M}-260220-0001", 1, M, 9, [(sub, "20/02 07:50", None, 1, ""), (acc, "20/02 08:00", 1, 2, ""),
                                          ("approve", "26/02 10:00", 2, 9, "")],
             _marks(True, True, True, True, True, True), "27/02 17:00"),
    ]


@pytest.fixture
def units(db: None) -> dict[str, Any]:
    from motcua.demo.loading import load_units_and_staff

    return load_units_and_staff()


@pytest.fixture
def example(units: dict[str, Any], demo_catalog_data: dict[str, Any]) -> dict[str, Any]:
    """The worked example imported (clock: 15 April 2026), counters kept by the outbox consumer."""
    from motcua.catalog.services import import_catalog
    from motcua.dossiers.importing import import_lines
    from motcua.integrations.outbox import deliver_pending

    document = {"format": demo_catalog_data["format"], "fields": demo_catalog_data["fields"],
                "document_types": demo_catalog_data.get("document_types", []),
                "procedures": example_catalog(demo_catalog_data["procedures"][0]), "announcements": []}
    import_catalog(document)
    with use_clock(FrozenClock(datetime(2026, 4, 15, 9, 0, tzinfo=VN))):
        report = import_lines([json.dumps(r) for r in example_rows()], source="example.jsonl")
        assert not report.errors, [str(e) for e in report.errors]
        while deliver_pending(500):
            pass
    return units
