"""A real tus client (tuspy) against a live server: an upload in chunks, interrupted by a dropped connection, resumed
from the server's offset, and its file id used in a dossier."""

import hashlib
import io
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests
from tusclient.client import TusClient

from motcua.demo.samples import FIRST_REGISTRATION_FORM
from motcua.documents.models import StoredFile

from .conftest import make_pdf, pdf_stream

pytestmark = pytest.mark.django_db(transaction=True)


def scan(size: int, seed: bytes) -> bytes:
    block = hashlib.sha256(seed).digest() * 64
    return make_pdf(objects=(pdf_stream(block * (size // len(block)), b"/Subtype /Image /Filter /DCTDecode "),))


def drop_mid_patch(location: str, offset: int, data: bytes, token: str) -> None:
    """Send a PATCH announcing more bytes than it sends, then close the connection (a dropped network)."""
    url = urlsplit(location)
    head = (f"PATCH {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nTus-Resumable: 1.0.0\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Upload-Offset: {offset}\r\nContent-Length: {len(data) * 2}\r\n\r\n").encode()
    with socket.create_connection((url.hostname, url.port)) as connection:
        connection.sendall(head + data)
        connection.shutdown(socket.SHUT_WR)


def server_offset(location: str, headers: dict[str, str], at_least: int) -> int:
    """The offset HEAD gives once the server has finished with the dropped request (it is handled in a thread)."""
    for _ in range(200):
        response = requests.head(location, headers={**headers, "Tus-Resumable": "1.0.0"}, timeout=10)
        offset = int(response.headers["Upload-Offset"])
        if offset >= at_least:
            return offset
        time.sleep(0.05)
    return offset


def test_tuspy_uploads_in_chunks_resumes_after_a_drop_and_the_file_goes_into_a_dossier(live_server, demo, media):
    login = {"username": "citizen.demo", "password": "motcua-demo"}
    token = requests.post(live_server.url + "/api/v1/auth/token", json=login, timeout=10).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    client = TusClient(live_server.url + "/api/v1/uploads", headers=auth)
    content = scan(1_500_000, b"to-khai")
    uploader = client.uploader(file_stream=io.BytesIO(content), chunk_size=256 * 1024,
                               metadata={"filename": "Tờ khai.pdf", "procedure": "1.013133", "component": "to_khai"})
    uploader.upload(stop_at=512 * 1024)  # two chunks, then the client stops
    location = uploader.url
    assert uploader.offset == 512 * 1024

    # The connection drops in the middle of the next chunk: what arrived is kept.
    drop_mid_patch(location, uploader.offset, content[uploader.offset:uploader.offset + 100_000], token)
    offset = server_offset(location, auth, uploader.offset + 100_000)
    assert offset == 512 * 1024 + 100_000

    # A new client (a new process, a new day) resumes from the server's offset.
    resumed = TusClient(live_server.url + "/api/v1/uploads", headers=auth).uploader(
        file_stream=io.BytesIO(content), url=location, chunk_size=256 * 1024)
    assert resumed.offset == offset
    resumed.upload()
    file_id = resumed.request.response_headers["upload-file-id"]
    stored = StoredFile.objects.get(pk=file_id)
    assert stored.sha256 == hashlib.sha256(content).hexdigest() and stored.original_name == "Tờ khai.pdf"
    assert (media / stored.storage_name).read_bytes() == content

    ids = {"to_khai": file_id}
    for code in ("phieu_tu_khai_suc_khoe", "cccd"):
        one = client.uploader(file_stream=io.BytesIO(scan(40_000, code.encode())),
                              metadata={"filename": f"{code}.pdf"})
        one.upload()
        ids[code] = one.request.response_headers["upload-file-id"]
    body = {"procedure": "1.013133", "form": dict(FIRST_REGISTRATION_FORM),
            "components": [{"code": code, "files": [file_id]} for code, file_id in ids.items()]}
    response = requests.post(live_server.url + "/api/v1/dossiers", json=body, headers=auth, timeout=30)
    assert response.status_code == 201, response.text
    dossier = requests.get(live_server.url + f"/api/v1/dossiers/{response.json()['code']}", headers=auth,
                           timeout=10).json()
    attached = {f["id"] for c in dossier["components"] for f in c["files"]}
    assert attached == set(ids.values())
