import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections

from motcua.documents import services
from motcua.documents.models import StoredFile
from motcua.identity.models import User

from .conftest import blobs, make_pdf, pdf_stream

THREADS = 8


@pytest.fixture
def sqlite_as_deployed(transactional_db: None, tmp_path: Path) -> Iterator[None]:
    """SQLite as motcua runs it (a file in WAL mode, IMMEDIATE transactions, writers queued by the busy timeout), in
    place of the shared-cache in-memory test database, whose table locks fail at once ("database table is locked")
    where the file's locks wait: the migrated test database is copied to a file for the test, then left as it was."""
    connection = connections["default"]
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield  # already a file, or PostgreSQL: nothing to change
        return
    memory_name = connection.settings_dict["NAME"]
    keeper = sqlite3.connect(memory_name, uri=True)  # keeps the in-memory database alive while it is not in use
    file_name = str(tmp_path / "db.sqlite3")
    with sqlite3.connect(file_name) as target:
        keeper.backup(target)
    connection.settings_dict["NAME"] = file_name
    connection.close()  # really closes the in-memory connection now that NAME is a file; the keeper holds the data
    try:
        yield
    finally:
        connections.close_all()
        connection.settings_dict["NAME"] = memory_name
        connection.ensure_connection()  # back on the in-memory database before its keeper lets go
        keeper.close()


@pytest.mark.django_db(transaction=True)
def test_eight_simultaneous_uploads_of_the_same_content_make_eight_rows_and_one_blob(sqlite_as_deployed, media):
    users = [User.objects.create_user(username=f"racer{i}", password="x-Unused-1") for i in range(THREADS)]
    # Large enough (several chunks) that the writes overlap.
    content = make_pdf(objects=(pdf_stream(bytes(range(256)) * 2048, b"/Subtype /Image /Filter /DCTDecode "),))
    start = threading.Barrier(THREADS)
    results: list[StoredFile] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def upload(user: User) -> None:
        try:
            start.wait()
            stored = services.store_upload(user, SimpleUploadedFile(f"{user.username}.pdf", content))
            with lock:
                results.append(stored)
        except BaseException as exc:  # collected and reported below
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upload, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == THREADS
    sha = hashlib.sha256(content).hexdigest()
    rows = StoredFile.objects.filter(sha256=sha)
    assert rows.count() == THREADS
    assert {row.uploaded_by.username for row in rows} == {u.username for u in users}
    assert blobs(media) == [media / f"files/{sha[:2]}/{sha[2:4]}/{sha}"]  # no duplicate, no temporary left over
    assert blobs(media)[0].read_bytes() == content
