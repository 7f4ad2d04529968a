"""Dossier codes under concurrent submissions on PostgreSQL (domain/one-stop.md, "Dossier code and result code").

Several OS processes, each with its own Django and its own database connection, submit through
`motcua.dossiers.services.submit` at the same frozen instant for the same unit: the codes must be unique and the day's
numbers gapless. The same Idempotency-Key sent by several processes at once must create one dossier only.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from motcua.demo.samples import FIRST_REGISTRATION_FORM as FORM
from motcua.demo.samples import MINIMAL_PDF

from .conftest import Site, run_together

pytestmark = pytest.mark.postgres

PROCESSES = 8
PER_PROCESS = 25
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
# Two working days far from today, so the runs never share a sequence row with each other or with real use.
AT_MANY = datetime(2026, 11, 23, 9, 0, tzinfo=HANOI)
AT_IDEMPOTENT = datetime(2026, 11, 24, 9, 0, tzinfo=HANOI)
UNIT = "000.05.12.H26"  # citizen.demo's commune: the unit that receives 1.013133 from them


# One submitting process: sets Django up, uploads the three PDFs (unless given their ids), says it is ready, waits
# for the start signal, then submits `count` dossiers at the frozen instant. Prints one JSON line: the results and
# the tracebacks of any error.
WORKER = r"""
import json, sys, time, traceback
from datetime import datetime
from pathlib import Path

import django

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.core.clock import FrozenClock, use_clock
from motcua.documents.services import store_upload
from motcua.dossiers.services import Submission, submit
from motcua.identity.models import User
from tests.postgres.racing import ready_then_wait

spec = json.loads(sys.argv[1])
results, errors = [], []
try:
    user = User.objects.get(username="citizen.demo")
    pdf = spec["pdf"].encode("latin-1")
    components = spec["components"] or [
        {"code": code, "files": [str(store_upload(user, SimpleUploadedFile(code + ".pdf", pdf)).id)]}
        for code in ("to_khai", "phieu_tu_khai_suc_khoe", "cccd")]
    if spec["print_components"]:
        print(json.dumps(components))
        sys.exit(0)
    ready_then_wait(spec)
    with use_clock(FrozenClock(datetime.fromisoformat(spec["at"]))):
        for _ in range(spec["count"]):
            try:
                dossier, created = submit(user, Submission(procedure="1.013133", form=spec["form"],
                                                           components=components, idempotency_key=spec["key"]))
                results.append({"code": dossier.code, "created": created})
            except Exception:
                errors.append(traceback.format_exc())
except Exception:
    errors.append(traceback.format_exc())
print(json.dumps({"results": results, "errors": errors}))
"""


def worker_spec(**values: object) -> dict[str, object]:
    return {"count": 0, "at": AT_MANY.isoformat(), "key": None, "form": FORM, "go": "", "ready": "",
            "pdf": MINIMAL_PDF.decode("latin-1"), "components": None, "print_components": False, **values}


def upload_components(site: Site) -> list[dict[str, object]]:
    """Upload the three PDFs once (for requests that must be identical, file ids included)."""
    result = site.run("-c", WORKER, json.dumps(worker_spec(print_components=True)))
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_concurrently(site: Site, tmp_path: Path, *, processes: int, count: int, at: datetime, key: str | None,
                     components: list[dict[str, object]] | None = None) -> list[dict[str, object]]:
    """Start `processes` submitting processes, release them together once all are ready, return their reports."""
    spec = worker_spec(count=count, at=at.isoformat(), key=key, components=components)
    return run_together(site, tmp_path, WORKER, [spec] * processes)


def test_concurrent_submissions_get_unique_gapless_codes(pg_site: Site, tmp_path: Path) -> None:
    reports = run_concurrently(pg_site, tmp_path, processes=PROCESSES, count=PER_PROCESS, at=AT_MANY, key=None)

    errors = [error for report in reports for error in report["errors"]]
    assert not errors, f"{len(errors)} submission(s) failed; the first:\n{errors[0]}"
    codes = [result["code"] for report in reports for result in report["results"]]
    total = PROCESSES * PER_PROCESS
    assert len(codes) == total
    assert len(set(codes)) == total, "two submissions got the same code"
    prefix = f"{UNIT}-{AT_MANY:%y%m%d}-"
    assert all(code.startswith(prefix) for code in codes), sorted(codes)[:3]
    assert sorted(int(code.removeprefix(prefix)) for code in codes) == list(range(1, total + 1))

    stored = pg_site.query(
        "SELECT d.code FROM dossiers_dossier d JOIN organization_unit u ON u.id = d.receiving_unit_id "
        "WHERE u.agency_code = %s AND d.code LIKE %s", (UNIT, prefix + "%"))
    assert sorted(code for (code,) in stored) == sorted(codes), "the database does not hold exactly those dossiers"
    sequence = pg_site.query(
        "SELECT s.last FROM dossiers_dossiersequence s JOIN organization_unit u ON u.id = s.unit_id "
        "WHERE u.agency_code = %s AND s.day = %s", (UNIT, AT_MANY.date()))
    assert sequence == [(total,)]


def test_same_idempotency_key_at_once_creates_one_dossier(pg_site: Site, tmp_path: Path) -> None:
    key = f"concurrent-{time.time_ns()}"
    # Retries of one request carry the same body, file ids included (another body with the key answers 409).
    reports = run_concurrently(pg_site, tmp_path, processes=PROCESSES, count=1, at=AT_IDEMPOTENT, key=key,
                               components=upload_components(pg_site))

    errors = [error for report in reports for error in report["errors"]]
    assert not errors, f"{len(errors)} submission(s) failed; the first:\n{errors[0]}"
    results = [result for report in reports for result in report["results"]]
    assert len(results) == PROCESSES
    assert len({result["code"] for result in results}) == 1, "the retries did not all get the same dossier"
    assert sum(result["created"] for result in results) == 1, "not exactly one request created the dossier"
    stored = pg_site.query("SELECT code FROM dossiers_dossier WHERE idempotency_key = %s", (key,))
    assert stored == [(results[0]["code"],)]
    # The losers' numbers were rolled back with their transactions: the day's sequence has no gap.
    assert results[0]["code"] == f"{UNIT}-{AT_IDEMPOTENT:%y%m%d}-0001"
