"""A TEST PKI made once per test session with `pki_init`, a small real PDF, and helpers to check signatures."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from conftest import pki_settings
from motcua.demo.data import DEMO_COMMUNE, STAFF, UNITS
from motcua.dossiers.tests.conftest import api  # noqa: F401 - demo accounts talking to the API, for these tests too
from motcua.identity.models import User
from motcua.organization.models import Unit
from motcua.results import signing

LEADER = "leader.demo"


@pytest.fixture
def use_pki(settings: Any, pki_root: Path) -> Path:
    """The session's TEST PKI as the configured one (PKCS#12 files, no TSA)."""
    for name, value in pki_settings(pki_root).items():
        setattr(settings, name, value)
    return pki_root


@pytest.fixture(scope="session")
def plain_pdf() -> bytes:
    import weasyprint

    return weasyprint.HTML(string="<p>Giấy chứng nhận</p>").write_pdf()


def demo_unit(code: str = DEMO_COMMUNE) -> Unit:
    """An unsaved demo unit: signing needs its agency code and name only."""
    row = next(row for row in UNITS if row[0] == code)
    return Unit(agency_code=row[0], name_vi=row[3], name_en=row[4])


def demo_officer(username: str = LEADER) -> User:
    row = next(row for row in STAFF if row[0] == username)
    return User(username=row[0], full_name=row[1], kind="staff")


@pytest.fixture(scope="session")
def signed_pdf(pki_root: Path, plain_pdf: bytes) -> tuple[bytes, bytes]:
    """(once signed by the leader, then sealed by the unit) of the plain PDF."""
    with override_settings(**pki_settings(pki_root)):
        once = signing.sign_pdf(plain_pdf, signing.signer_for_officer(demo_officer()), field_name="leader",
                                reason="Phê duyệt kết quả", location="Hà Nội")
        twice = signing.sign_pdf(once, signing.signer_for_unit(demo_unit()), field_name="seal",
                                 reason="Đóng dấu đơn vị")
    return once, twice


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: install the Debian package {package} (`make test` installs it)."
    return path


@pytest.fixture(scope="session")
def nss_db(tmp_path_factory: pytest.TempPathFactory, pki_root: Path) -> str:
    """An NSS database trusting the session's TEST root, for poppler's pdfsig."""
    certutil = require_tool("certutil", "libnss3-tools")
    path = tmp_path_factory.mktemp("nss")
    subprocess.run([certutil, "-N", "-d", f"sql:{path}", "--empty-password"], check=True, capture_output=True)
    # pdfsig checks the signer's certificate for e-mail (S/MIME) signing, so the root must be trusted for that too:
    # "C,," (SSL only) leaves it "Certificate issuer isn't Trusted".
    subprocess.run([certutil, "-A", "-d", f"sql:{path}", "-n", "motcua-test-root", "-t", "C,C,",
                    "-i", str(pki_root / "ca" / "root.pem")], check=True, capture_output=True)
    return f"sql:{path}"


def pdfsig(pdf: bytes, nss: str, tmp_path: Path) -> list[dict[str, str]]:
    """poppler's verdict per signature: {"field": ..., "signature": ..., "certificate": ..., "text": ...}.

    pdfsig prints "Signature #N:" and then "  - Key: value" lines; its exit status is 0 even for a bad signature.
    """
    binary = require_tool("pdfsig", "poppler-utils")
    file = tmp_path / "checked.pdf"
    file.write_bytes(pdf)
    run = subprocess.run([binary, "-nssdir", nss, str(file)], capture_output=True, text=True, timeout=60)
    blocks: list[dict[str, str]] = []
    for line in run.stdout.splitlines():
        if line.startswith("Signature #"):
            blocks.append({"text": ""})
        elif blocks and line.strip().startswith("- "):
            key, _, value = line.strip()[2:].partition(":")
            blocks[-1][key.strip()] = value.strip()
        if blocks:
            blocks[-1]["text"] += line + "\n"
    assert blocks or "does not contain any signatures" in run.stdout, run.stdout + run.stderr
    return [{"field": block.get("Signature Field Name", ""), "signature": block.get("Signature Validation", ""),
             "certificate": block.get("Certificate Validation", ""), "text": block["text"]} for block in blocks]


@pytest.fixture
def no_caches() -> Iterator[None]:
    signing.clear_caches()
    yield
    signing.clear_caches()
