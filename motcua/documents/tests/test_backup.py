"""Backup and restore: an instance with dossiers, files, a signed result and audit entries is backed up, emptied, and
restored with identical records and file checksums."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from motcua.audit.verification import verify
from motcua.documents.backup import EXCLUDED
from motcua.documents.models import StoredFile
from motcua.dossiers.tests.conftest import api  # noqa: F401 - demo accounts talking to the API
from motcua.results.tests.test_results import approve

# Outside a test transaction, as the commands run: `flush` cannot TRUNCATE in a transaction with pending deferred
# foreign-key checks on PostgreSQL, and `backup` takes its own REPEATABLE READ snapshot.
pytestmark = pytest.mark.django_db(transaction=True)


def records() -> list[dict[str, Any]]:
    """Every row of every app (as the dump serializes it), in a stable order."""
    out = io.StringIO()
    call_command("dumpdata", exclude=EXCLUDED, natural_foreign=True, format="jsonx", stdout=out)
    return sorted(json.loads(out.getvalue()), key=lambda row: (row["model"], str(row["pk"])))


def checksums() -> dict[str, str]:
    sums = {}
    for name in StoredFile.objects.values_list("storage_name", flat=True).distinct():
        with default_storage.open(name, "rb") as handle:
            sums[name] = hashlib.sha256(handle.read()).hexdigest()
    return sums


@pytest.fixture
def populated(api,  # noqa: F811 - the imported fixture
               frozen_clock, settings) -> tuple[list[dict[str, Any]], dict[str, str]]:
    code, answer = approve(api, frozen_clock)
    assert answer.status_code == 200, answer.content
    before = records()
    assert {"dossiers.dossier", "results.result", "audit.auditentry", "documents.storedfile"} <= {
        row["model"] for row in before}
    return before, checksums()


def test_restore_into_an_empty_instance_gives_identical_records_and_files(populated, settings, tmp_path) -> None:
    before, sums = populated
    call_command("backup", str(tmp_path / "bk"), stdout=io.StringIO())
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    assert {blob["name"]: blob["sha256"] for blob in manifest["files"]} == sums

    # An empty instance: no rows, no files.
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT)
    assert records() == [] or all(row["model"].startswith("django_tasks") for row in records())

    out = io.StringIO()
    call_command("restore", str(tmp_path / "bk"), stdout=out)
    assert f"{len(sums)} files ({len(sums)} copied back" in out.getvalue()
    assert records() == before
    assert checksums() == sums
    assert verify()[1] == []  # the audit chain came back whole


def test_restore_refuses_a_non_empty_instance_and_a_damaged_backup(populated, tmp_path: Path) -> None:
    call_command("backup", str(tmp_path / "bk"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="empty"):
        call_command("restore", str(tmp_path / "bk"))
    dump = tmp_path / "bk" / "database.jsonx.gz"
    dump.write_bytes(dump.read_bytes()[:-10])
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(tmp_path / "bk"))
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(tmp_path / "bk"))


def test_backup_reports_a_corrupt_file(populated, tmp_path: Path) -> None:
    _, sums = populated
    name = next(iter(sums))
    Path(default_storage.path(name)).write_bytes(b"changed on disk")
    with pytest.raises(CommandError, match="could not be backed up"):
        call_command("backup", str(tmp_path / "bk"), stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db  # inside the test's transaction, as a caller's own transaction would be
def test_backup_inside_a_callers_transaction_reads_that_transaction(tmp_path: Path) -> None:
    from django.contrib.auth import get_user_model

    from motcua.documents.backup import backup

    get_user_model().objects.create_user("not.committed.yet", password="x" * 16)
    report = backup(tmp_path / "bk", include_files=False)  # PostgreSQL refused the isolation level here
    assert report.rows.get("identity.user") == 1
