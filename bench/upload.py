"""Benchmark: a 1 GiB file through the tus endpoint (/api/v1/uploads) against gunicorn, next to `cp` of the same
bytes on the same disk, and the server's peak memory.

    .venv/bin/python bench/upload.py [--size-mib 1024] [--chunk-mib 0] [--workers 2]

A throwaway PostgreSQL and a site with the demo data (bench/common.py), gunicorn (sync workers, `--timeout 600` so one
long PATCH is not killed), the local storage folder under the site's temporary data folder. The file is a scanned-PDF
look-alike (one image stream of pseudo-random bytes) written to the same folder, so the upload is checked like a
real one (type sniffed, SHA-256, the PDF scanned for active content) before it is renamed into its content address.

Runs: one PATCH of the whole file (what tuspy does by default), then PATCHes of `--chunk-mib` MiB (64 by default),
which may land on different workers (the checks then read the file once more at the end, see resumable.py).
Baseline: `cp` of the same file in the same folder, then `sync` of the copy (the server fsyncs what it received).
Targets: throughput >= 0.3 x cp+sync; peak RSS of the largest gunicorn process < 200 MB (VmHWM from /proc).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

import common
from common import Gunicorn, HttpClient, PgMissing, PgServer, Table, motcua_site, print_table

MIB = 1024 * 1024
TARGET_RATIO = 0.3
TARGET_RSS_MB = 200


def make_scan(path: Path, size: int) -> str:
    """A PDF of about `size` bytes: one page whose image stream is pseudo-random; returns its SHA-256."""
    digest = hashlib.sha256()
    block = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(MIB // 32))
    head = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] "
            b"/Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n")
    data = max(MIB, size - 512)
    stream = b"4 0 obj\n<< /Subtype /Image /Filter /DCTDecode /Length %d >>\nstream\n" % data
    tail = b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    with open(path, "wb") as out:
        for part in (head, stream):
            out.write(part)
            digest.update(part)
        left = data
        while left:
            piece = block[: min(left, len(block))]
            out.write(piece)
            digest.update(piece)
            left -= len(piece)
        out.write(tail)
        digest.update(tail)
    return digest.hexdigest()


def cp_seconds(source: Path) -> tuple[float, float]:
    """(cp alone, cp + sync of the copy) in seconds, best of two."""
    best_cp, best_synced = float("inf"), float("inf")
    for _ in range(2):
        target = source.with_suffix(".copy")
        start = time.perf_counter()
        subprocess.run(["cp", str(source), str(target)], check=True)
        copied = time.perf_counter()
        subprocess.run(["sync", str(target)], check=True)
        synced = time.perf_counter()
        best_cp, best_synced = min(best_cp, copied - start), min(best_synced, synced - start)
        target.unlink()
    return best_cp, best_synced


def peak_rss_mb(root: int) -> tuple[float, float]:
    """(largest VmHWM of one process, sum of VmHWM) in MB over gunicorn's master and workers."""
    peaks = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(entry.name) == root or fields.get("PPid", "").strip() == str(root):
            peaks.append(int(fields.get("VmHWM", "0 kB").split()[0]) / 1024)
    return max(peaks, default=0.0), sum(peaks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--chunk-mib", type=int, default=64, help="the chunked run's PATCH size (0: skip that run)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    try:
        server = PgServer()
    except PgMissing as missing:
        print(f"bench/upload.py: {missing}", file=sys.stderr)
        return 2
    size = args.size_mib * MIB
    with common.stop_on_signals(), server, motcua_site(server, MOTCUA_TUS_MAX_BYTES=str(4 * size)) as site:
        site.env["GUNICORN_CMD_ARGS"] = "--timeout 600"
        source = site.data_dir / "scan.pdf"
        sha256 = make_scan(source, size)
        size = source.stat().st_size
        cp_alone, cp_synced = cp_seconds(source)
        table = Table(f"tus upload of {size / MIB:,.0f} MiB, gunicorn sync x {args.workers}, {os.cpu_count()} cores")
        with Gunicorn(site, workers=args.workers) as web:
            client = HttpClient(web.port)
            token = client.json("POST", "/api/v1/auth/token",
                                {"username": "citizen.demo", "password": common.DEMO_PASSWORD})["access_token"]
            client.close()
            baseline, _ = peak_rss_mb(web.process.pid)
            runs = [("one PATCH", 0)] + ([(f"{args.chunk_mib} MiB PATCHes", args.chunk_mib * MIB)]
                                         if args.chunk_mib else [])
            for label, chunk in runs:
                seconds, headers = send(web.port, token, source, chunk)
                file_id = headers.get("upload-file-id", "")
                stored = site.run("manage.py", "shell", "-c", (
                    "from motcua.documents.models import StoredFile as F; "
                    f"f = F.objects.get(pk='{file_id}'); print(f.sha256, f.size)")).split()
                ok = stored[-2:] == [sha256, str(size)]
                if not ok:
                    table.notes.append(f"{label}: stored {stored[-2:]}, sent {sha256} {size}")
                ratio = cp_synced / seconds
                table.add(f"{label}: throughput", f"{size / MIB / seconds:,.0f} MiB/s ({seconds:.1f} s)")
                table.add(f"{label}: vs cp+sync ({size / MIB / cp_synced:,.0f} MiB/s)", f"{ratio:.2f}",
                          f">= {TARGET_RATIO}", ratio >= TARGET_RATIO)
                table.add(f"{label}: stored file has the SHA-256 of the bytes sent", "yes" if ok else "NO", "yes", ok)
            largest, total = peak_rss_mb(web.process.pid)
            table.add("server peak RSS, largest process (VmHWM)", f"{largest:,.0f} MB", f"< {TARGET_RSS_MB} MB",
                      largest < TARGET_RSS_MB)
            table.add("server peak RSS, master + workers", f"{total:,.0f} MB")
            table.add("  largest process before the uploads (Django loaded, one login)", f"{baseline:,.0f} MB")
        table.notes.append(f"cp alone: {size / MIB / cp_alone:,.0f} MiB/s (page cache, no fsync); cp + sync: "
                           f"{size / MIB / cp_synced:,.0f} MiB/s. The source file is in the page cache for both.")
        table.notes.append("Upload time runs from the creation request to the last PATCH's answer (the checks and "
                           "the rename into the content address included).")
        table.notes.append(f"Load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
                           "(other processes on the machine slow the upload, which is CPU-bound, more than cp).")
        print_table(table)
    return 0


def send(port: int, token: str, path: Path, chunk: int) -> tuple[float, dict[str, str]]:
    """Create an upload and PATCH the file in `chunk`-byte requests (0: one); (seconds, last answer's headers)."""
    size = path.stat().st_size
    auth = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=900, blocksize=4 * MIB)
    connection.request("POST", "/api/v1/uploads", headers={
        **auth, "Upload-Length": str(size), "Upload-Metadata": "filename YmVuY2gucGRm"})  # "bench.pdf"
    response = connection.getresponse()
    response.read()
    if response.status != 201:
        raise RuntimeError(f"creation answered {response.status}")
    location = response.getheader("Location").split("://", 1)[1].split("/", 1)[1]
    connection.close()
    offset, headers = 0, {}
    with open(path, "rb") as source:
        while offset < size:
            length = size - offset if not chunk else min(chunk, size - offset)
            source.seek(offset)
            body = _Slice(source, length)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=900, blocksize=4 * MIB)
            connection.request("PATCH", "/" + location, body=body, headers={
                **auth, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
                "Content-Length": str(length)})
            response = connection.getresponse()
            answer = response.read()
            headers = {k.lower(): v for k, v in response.getheaders()}
            connection.close()
            if response.status != 204:
                raise RuntimeError(f"PATCH answered {response.status}: {answer[:300]!r}")
            offset = int(headers["upload-offset"])
    return time.perf_counter() - start, headers


class _Slice:
    """`length` bytes of an open file from its current position, readable in blocks (what http.client sends)."""

    def __init__(self, source: object, length: int) -> None:
        self.source = source
        self.left = length

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.source.read(size) if size else b""
        self.left -= len(data)
        return data


if __name__ == "__main__":
    sys.exit(main())
