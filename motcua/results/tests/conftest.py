"""A TEST PKI made once per test session with `pki_init`, a small real PDF, and helpers to check signatures."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from motcua.demo.data import DEMO_COMMUNE, DEMO_PASSWORD, STAFF, UNITS
from motcua.identity.models import User
from motcua.organization.models import Unit
from motcua.results import signing

LEADER = "leader.demo"


def pki_settings(path: Path) -> dict[str, Any]:
    """Settings that point signing at the PKI in `path`, whatever the developer's environment says."""
    return {
        "MOTCUA_PKI_DIR": path, "MOTCUA_PKI_PASSPHRASE": "", "MOTCUA_PKCS11_MODULE": "", "MOTCUA_PKCS11_TOKEN": "",
        "MOTCUA_PKCS11_PIN": "", "MOTCUA_PKCS11_PIN_FILE": "", "MOTCUA_TSA_URL": "", "MOTCUA_TRUST_ROOTS": [],
    }


@pytest.fixture(scope="session")
def pki_root(tmp_path_factory: pytest.TempPathFactory, django_db_setup: None, django_db_blocker: Any) -> Path:
    """`pki_init` run once (ECDSA keys) over the demo units and staff; the rows are rolled back after."""
    from motcua.identity.services import save_staff
    from motcua.organization.services import assign_role, save_unit

    path = tmp_path_factory.mktemp("pki")
    fast_hasher = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast_hasher, **pki_settings(path)),
          transaction.atomic()):
        # The demo units and staff as load_demo makes them (without its catalog, which takes seconds).
        units: dict[str, Unit] = {}
        for code, parent, level, name_vi, name_en, address, province in UNITS:
            units[code] = save_unit(agency_code=code, parent=units.get(parent) if parent else None, level=level,
                                    name_vi=name_vi, name_en=name_en, address=address, province_code=province)
        for username, full_name, email, roles, superuser in STAFF:
            user = save_staff(username=username, full_name=full_name, email=email, password=DEMO_PASSWORD,
                              is_superuser=superuser)
            for role, code in roles:
                assign_role(user, units[code], role)
        output = StringIO()
        call_command("pki_init", stdout=output)
        transaction.set_rollback(True)
    (path / "pki_init.out").write_text(output.getvalue())
    return path


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
