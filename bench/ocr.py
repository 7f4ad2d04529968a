"""Benchmark: pages per minute through the digitization pipeline against plain `ocrmypdf` on the same pages.

    .venv/bin/python bench/ocr.py [--pages 6] [--jobs 1]

Runs in one process on a throwaway SQLite site (a temporary MOTCUA_DATA_DIR, migrated). `--pages` scanned pages are
generated with Pillow (A5 at 300 dpi, 18 lines of Vietnamese text, DejaVu Sans from fonts-dejavu-core), one PNG file
per page, as a desk scanner gives them. Then, one page after another:

- pipeline: the page is stored (`documents.services.store_upload`: hashing, type sniffing, storage) and queued
  (`digitization.enqueue`, in its transaction), and the `ocr` queue's task runs (`tasks.digitize_pending.call()`: claim,
  img2pdf, OCRmyPDF, text of every page, thumbnail, archive and thumbnail stored, search index) — everything a worker
  does for one scanned page, in a warm worker process;
- plain: `ocrmypdf` (the command line, a new process each time, as an operator would run it) on the same PNG with the
  same options (`-l vie+eng --output-type auto --pdfa-backend internal --mode skip --jobs N`);
- and, for reference, `ocrmypdf.ocr` (the Python API) in this warm process with the same options: OCRmyPDF's own cost,
  so the pipeline's own work (storage, text, thumbnail, database) shows as the difference.

One page of each is a warm-up and is not counted. Overhead = pipeline time / plain time − 1 (target ≤ 15%); a
negative overhead means the warm worker saves more (no interpreter start, no imports per file) than the pipeline's
own work costs.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import Table, print_table  # noqa: E402

TARGET_OVERHEAD = 0.15
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LINES = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
    "GIẤY XÁC NHẬN TÌNH TRẠNG CƯ TRÚ", "Họ và tên: Nguyễn Thị Minh Khai",
    "Ngày sinh: 12/05/1990, giới tính: Nữ", "Số định danh cá nhân: 001190012345",
    "Nơi thường trú: số 12 Hoàng Hoa Thám, phường Ngọc Hà", "quận Ba Đình, thành phố Hà Nội",
    "Quan hệ với chủ hộ: con", "Lý do xác nhận: bổ sung hồ sơ đăng ký", "nghĩa vụ quân sự lần đầu",
    "Giấy này có giá trị trong thời hạn ba mươi ngày", "kể từ ngày ký.", "Hà Nội, ngày 23 tháng 11 năm 2026",
    "TRƯỞNG CÔNG AN PHƯỜNG", "(ký, ghi rõ họ tên và đóng dấu)", "Đại úy Trần Văn Bình",
    "Số: 1234/XN-CAP",
]


def make_page(number: int) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("L", (1748, 2480), 255)  # A5 at 300 dpi
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 46)
    for index, line in enumerate(LINES):
        draw.text((140, 160 + index * 118), line if index != 17 else f"Số: {1234 + number}/XN-CAP", font=font,
                  fill=0)
    buffer = io.BytesIO()
    page.save(buffer, format="PNG", dpi=(300, 300))
    return buffer.getvalue()


def setup_site(data_dir: str, jobs: int) -> None:
    os.environ.update(DJANGO_SETTINGS_MODULE="motcua.settings", MOTCUA_DATA_DIR=data_dir, MOTCUA_LOG_LEVEL="WARNING",
                      MOTCUA_OCR_JOBS=str(jobs), MOTCUA_TASKS_BACKEND="django_tasks.backends.dummy.DummyBackend")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def pipeline_seconds(pages: list[bytes]) -> float:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from motcua.documents import digitization, services
    from motcua.documents.models import Digitization, DigitizationState
    from motcua.documents.tasks import digitize_pending
    from motcua.identity.models import User

    user = User.objects.create_user(username="bench.scanner", password="x-Unused-1", full_name="Bench Scanner")
    start = time.perf_counter()
    for index, content in enumerate(pages):
        with transaction.atomic():
            stored = services.store_upload(user, SimpleUploadedFile(f"page-{index}.png", content))
            digitization.enqueue(stored)
        digitize_pending.call()
    elapsed = time.perf_counter() - start
    states = list(Digitization.objects.values_list("state", flat=True))
    if states.count(DigitizationState.DONE) != len(pages):
        raise RuntimeError(f"Not every page was digitized: {states}")
    return elapsed


def plain_seconds(paths: list[Path], out: Path, jobs: int) -> float:
    command = [str(Path(sys.executable).parent / "ocrmypdf"), "-q", "-l", "vie+eng", "--output-type", "auto",
               "--pdfa-backend", "internal", "--mode", "skip", "--jobs", str(jobs)]
    start = time.perf_counter()
    for path in paths:
        subprocess.run([*command, str(path), str(out / f"{path.stem}.pdf")], check=True)
    return time.perf_counter() - start


def api_seconds(paths: list[Path], out: Path) -> float:
    """The same pages through `ocrmypdf.ocr` in this (warm) process: OCRmyPDF's own cost without a process start."""
    import ocrmypdf

    from motcua.documents.ocr import ocr_options

    start = time.perf_counter()
    for path in paths:
        ocrmypdf.ocr(path, out / f"{path.stem}.api.pdf", **ocr_options())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=6, help="Pages timed on each side (default 6).")
    parser.add_argument("--jobs", type=int, default=1, help="OCRmyPDF jobs on both sides (MOTCUA_OCR_JOBS, default 1).")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="motcua-bench-ocr-") as folder:
        root = Path(folder)
        setup_site(str(root / "data"), options.jobs)
        pages = [make_page(number) for number in range(options.pages + 1)]
        paths = []
        for number, content in enumerate(pages):
            paths.append(root / f"page-{number}.png")
            paths[-1].write_bytes(content)
        (root / "plain").mkdir()
        # Warm-up (not counted): fonts, Tesseract's models in the page cache, imports of the worker.
        plain_seconds(paths[:1], root / "plain", options.jobs)
        pipeline_seconds(pages[:1])
        from motcua.documents.models import Digitization, StoredFile

        Digitization.objects.all().delete()
        StoredFile.objects.all().delete()
        from motcua.identity.models import User

        User.objects.filter(username="bench.scanner").delete()

        plain = plain_seconds(paths[1:], root / "plain", options.jobs)
        api = api_seconds(paths[1:], root / "plain")
        pipeline = pipeline_seconds(pages[1:])
    count = options.pages
    overhead = pipeline / plain - 1
    table = Table(f"OCR: {count} scanned pages (A5, 300 dpi, PNG), vie+eng, {options.jobs} job(s), one after another")
    table.add("plain ocrmypdf (CLI, per page)", f"{60 * count / plain:.1f} pages/min ({plain / count:.2f} s/page)")
    table.add("plain ocrmypdf (API, warm process)", f"{60 * count / api:.1f} pages/min ({api / count:.2f} s/page)")
    table.add("pipeline (store + enqueue + task)", f"{60 * count / pipeline:.1f} pages/min "
                                                   f"({pipeline / count:.2f} s/page)")
    table.add("overhead of the pipeline vs the CLI", f"{overhead:+.1%}", f"≤ {TARGET_OVERHEAD:.0%}",
              overhead <= TARGET_OVERHEAD)
    table.add("overhead of the pipeline vs the API", f"{pipeline / api - 1:+.1%}")
    table.notes.append("The pipeline also extracts the text, renders a thumbnail, stores two files and indexes the "
                       "text; the CLI pays an interpreter start and imports per file.")
    print_table(table)


if __name__ == "__main__":
    main()
