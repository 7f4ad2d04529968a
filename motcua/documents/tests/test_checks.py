"""The upload checks (checks.py) over a corpus of bad files, through both ways in: `POST /api/v1/files` and tus.
Each refusal names its rule, and nothing is left behind: no row, no blob, no partial file."""

import io
import os
import socket
import struct
import threading
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from conftest import token_for
from motcua.documents import services
from motcua.documents.checks import AntivirusUnavailable
from motcua.documents.models import ResumableUpload, StoredFile

from .conftest import EXE, blobs, make_pdf, make_png
from .test_tus import Tus

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for index in range(4):
            archive.writestr(f"layer{index}.pdf", b"\0" * (4 << 20))  # 16 MiB of zeros in ~16 KiB
    return buffer.getvalue()


def png_of(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


CORPUS = [
    ("oversize", "big.pdf", make_pdf(content=b"BT (x) Tj ET\n" * 9000), "max_size"),
    ("wrong type under a right name", "scan.pdf", EXE + b"\0" * 9000, "content_type"),
    ("zip bomb under a PDF name", "scan.pdf", zip_bomb(), "archive"),
    ("zip", "scans.zip", zip_bomb(), "archive"),
    ("gzip", "scan.pdf.gz", b"\x1f\x8b\x08\x00" + b"\0" * 100, "archive"),
    ("PDF with JavaScript", "form.pdf",
     make_pdf(catalog=b"/OpenAction 5 0 R ", objects=(b"<< /S /JavaScript /JS (app.alert(1)) >>",)),
     "pdf_active_content"),
    ("PDF with an embedded file", "form.pdf",
     make_pdf(objects=(b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",)), "pdf_active_content"),
    ("image bomb", "page.png", png_of(200, 200), "image_pixels"),
    ("path traversal with nothing left", "../../..", make_pdf(), "name"),
    ("control characters only", "\x00\x1b\u202e", make_pdf(), "name"),
    ("empty file", "empty.pdf", b"", "empty"),
    ("truncated file", "cut.pdf", make_pdf()[:-200], "truncated"),
]


@pytest.fixture
def limits(settings):
    settings.MOTCUA_MAX_UPLOAD_BYTES = 100_000
    settings.MOTCUA_TUS_MAX_BYTES = 100_000
    settings.MOTCUA_MAX_IMAGE_PIXELS = 200 * 199


@pytest.fixture
def channels(demo, client, media, limits):
    token = token_for(client, "citizen.demo")
    tus = Tus(client, token)

    def form(name: str, content: bytes):
        # A hand-made multipart body: the name goes as a client sent it (SimpleUploadedFile would clean it first).
        boundary = "motcua-test-boundary"
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n")
        body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
        return client.generic("POST", "/api/v1/files", data=body,
                              content_type=f"multipart/form-data; boundary={boundary}",
                              headers={"Authorization": f"Bearer {token}"})

    def resumable(name: str, content: bytes):
        created = tus.create(len(content), name)
        if created.status_code != 201:
            return created
        return tus.patch(created["Location"], 0, content)

    return {"form": form, "tus": resumable}


@pytest.mark.django_db
@pytest.mark.parametrize("channel", ["form", "tus"])
@pytest.mark.parametrize("label, name, content, rule", CORPUS, ids=[c[0] for c in CORPUS])
def test_the_corpus_is_refused_naming_the_rule_and_nothing_is_left(channels, media, channel, label, name, content,
                                                                   rule):
    response = channels[channel](name, content)
    assert 400 <= response.status_code < 500, response.content
    if channel == "form" and rule == "name":
        rule = "missing"  # Django's multipart parser drops a file part whose name has nothing usable left
    field = "Upload-Length" if channel == "tus" and rule == "max_size" else "file"  # tus refuses at creation
    errors = response.json()["errors"]
    assert [(e["field"], e["rule"]) for e in errors] == [(field, rule)], errors
    assert errors[0]["message_vi"] and errors[0]["message_en"]
    assert not StoredFile.objects.exists() and not ResumableUpload.objects.exists()
    assert blobs(media) == []


@pytest.mark.django_db
@pytest.mark.parametrize("channel", ["form", "tus"])
def test_a_path_in_the_name_is_dropped_and_the_file_stored_inside_the_storage(channels, media, channel):
    response = channels[channel]("../../../etc/cron.d/x\u202egnp.pdf", make_pdf())
    assert response.status_code in (201, 204), response.content
    stored = StoredFile.objects.get()
    assert stored.original_name == "xgnp.pdf"
    assert blobs(media) == [media / stored.storage_name]
    assert (media / stored.storage_name).resolve().is_relative_to(media.resolve())


@pytest.mark.django_db
def test_an_image_under_the_pixel_limit_is_accepted(user, media, settings):
    settings.MOTCUA_MAX_IMAGE_PIXELS = 200 * 200
    assert services.store_upload(user, SimpleUploadedFile("page.png", png_of(200, 200))).content_type == "image/png"
    assert services.store_upload(user, SimpleUploadedFile("qr.png", make_png())).content_type == "image/png"


class FakeClamd:
    """A clamd speaking just zINSTREAM on a unix socket: FOUND for the EICAR test string, OK otherwise."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.received: list[bytes] = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read(self, connection: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            part = connection.recv(size - len(data))
            if not part:
                raise ConnectionError("closed")
            data += part
        return data

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                assert self._read(connection, 10) == b"zINSTREAM\0"
                data = b""
                while size := struct.unpack("!L", self._read(connection, 4))[0]:
                    data += self._read(connection, size)
                self.received.append(data)
                verdict = b"stream: Eicar-Test-Signature FOUND\0" if EICAR in data else b"stream: OK\0"
                connection.sendall(verdict)

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def clamd(tmp_path, settings):
    short = Path(f"/tmp/clamd-{os.getpid()}-{os.urandom(3).hex()}.sock")  # unix socket paths are short
    fake = FakeClamd(short)
    settings.MOTCUA_CLAMD_SOCKET = str(short)
    yield fake
    fake.close()
    short.unlink(missing_ok=True)


@pytest.mark.django_db
@pytest.mark.parametrize("channel", ["form", "tus"])
def test_the_antivirus_sees_every_byte_and_refuses_what_it_finds(channels, clamd, media, channel):
    clean = make_pdf()
    assert channels[channel]("clean.pdf", clean).status_code in (201, 204)
    assert clamd.received == [clean]
    infected = make_pdf(objects=(b"<< /Note (x) >>\n%" + EICAR,))
    response = channels[channel]("infected.pdf", infected)
    assert response.status_code == 422, response.content
    error = response.json()["errors"][0]
    assert error["rule"] == "virus" and "Eicar-Test-Signature" in error["message_en"]
    assert StoredFile.objects.count() == 1 and not ResumableUpload.objects.filter(file__isnull=True).exists()
    assert len(blobs(media)) == 1


@pytest.mark.django_db
def test_an_unreachable_antivirus_refuses_with_503(user, media, settings):
    settings.MOTCUA_CLAMD_SOCKET = "/tmp/no-clamd-here.sock"
    with pytest.raises(AntivirusUnavailable) as caught:
        services.store_upload(user, SimpleUploadedFile("a.pdf", make_pdf()))
    assert caught.value.status == 503 and caught.value.errors[0].rule == "antivirus_unavailable"
    assert not StoredFile.objects.exists() and blobs(media) == []
