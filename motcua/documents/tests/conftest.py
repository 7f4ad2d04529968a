"""Real small files for the upload tests (a hand-written PDF, a PNG made by segno, a JPEG header), and a storage
folder of the test's own."""

from __future__ import annotations

import io
import zlib
from pathlib import Path
from typing import Any

import pytest
import segno

from motcua.dossiers.tests.conftest import api  # noqa: F401 - demo accounts talking to the API, for these tests too
from motcua.identity.models import User


def pdf_stream(data: bytes, dictionary: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), dictionary) + data + b"\nendstream"


def make_pdf(*, catalog: bytes = b"", objects: tuple[bytes, ...] = (), content: bytes = b"BT (Hello) Tj ET",
             eof: bool = True) -> bytes:
    """A minimal valid PDF 1.4 (one page), with `catalog` added to the catalog dictionary and `objects` appended as
    objects 5, 6, ... (xref offsets are right)."""
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
        pdf_stream(content),
        *objects,
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(bodies, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n" % (len(bodies) + 1, xref)
    return out + (b"%%EOF\n" if eof else b"")


def object_stream(dictionaries: list[bytes], *, first_number: int = 10) -> bytes:
    """A compressed object stream (PDF 1.5) holding `dictionaries`."""
    header, body = b"", b""
    for index, dictionary in enumerate(dictionaries):
        header += b"%d %d " % (first_number + index, len(body))
        body += dictionary + b"\n"
    data = zlib.compress(header + body)
    return pdf_stream(data, b"/Type /ObjStm /N %d /First %d /Filter /FlateDecode " % (len(dictionaries), len(header)))


def make_png(text: str = "motcua") -> bytes:
    buffer = io.BytesIO()
    segno.make(text).save(buffer, kind="png")
    return buffer.getvalue()


# A JPEG as far as any sniffer goes: SOI, a JFIF APP0 segment, EOI.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(64)) + b"\xff\xd9"
# The start of a Windows executable.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """Files go to a folder of this test (the local storage backend, as by default)."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return root


def blobs(root: Path) -> list[Path]:
    """Every file under the storage folder (temporary files included, so a left-over one is seen)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user(username="an.nguyen", password="x-Unused-1", full_name="Nguyễn Văn An")


@pytest.fixture
def other_user(db: None) -> User:
    return User.objects.create_user(username="binh.tran", password="x-Unused-1", full_name="Trần Thị Bình")


SCAN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # fonts-dejavu-core


def make_scan(lines: list[str], *, image_format: str = "PNG") -> bytes:
    """A page as a scanner at 300 dpi gives it: black text (the lines, Vietnamese with diacritics) on white A5."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("L", (1748, 900), 255)  # 148 mm wide at 300 dpi
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(SCAN_FONT, 56)  # about 13 pt at 300 dpi
    for index, line in enumerate(lines):
        draw.text((140, 140 + index * 110), line, font=font, fill=0)
    buffer = io.BytesIO()
    page.save(buffer, format=image_format, dpi=(300, 300))
    return buffer.getvalue()
