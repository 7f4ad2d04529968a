"""manage.py pki_init: a local TEST PKI, made once and only completed afterwards."""

from __future__ import annotations

import stat
from datetime import date, timedelta
from io import StringIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.core.management import CommandError, call_command

from motcua.core import clock
from motcua.demo.data import DEMO_COMMUNE, UNITS
from motcua.identity.models import User
from motcua.organization.models import Delegation, Unit
from motcua.results import pki, signing

from .conftest import LEADER, demo_officer, demo_unit, pki_settings


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    return name.get_attributes_for_oid(oid)[0].value


# cryptography warns when it reads a CN over 64 UTF-8 bytes (within the RFC's 64 characters): most Vietnamese names.
@pytest.mark.filterwarnings("ignore:Attribute's length")
def test_pki_init_issues_a_marked_test_root_unit_seals_and_leader_keys(use_pki):
    folder = use_pki
    output = (folder / "pki_init.out").read_text()
    root = x509.load_pem_x509_certificate((folder / "ca" / "root.pem").read_bytes())
    assert "TEST" in _attr(root.subject, NameOID.COMMON_NAME) and "NOT FOR PRODUCTION" in root.subject.rfc4514_string()
    assert _attr(root.subject, NameOID.ORGANIZATION_NAME) == "motcua test"
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    # Secrets are not world-readable.
    for secret in (folder / "passphrase", folder / "ca" / "root.key"):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert str(secret) in output

    for code, _parent, _level, name_vi, *_rest in UNITS:
        path = folder / "units" / f"{code}.p12"
        assert f"{code} ({name_vi})" in output and str(path) in output
        key, cert, chain = pki.load_pkcs12(path)
        assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
        assert _attr(cert.subject, NameOID.ORGANIZATION_NAME) == name_vi
        assert _attr(cert.subject, NameOID.COMMON_NAME) == name_vi
        assert _attr(cert.subject, NameOID.ORGANIZATION_IDENTIFIER) == code
        assert "TEST" in _attr(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME)
        assert pki.is_test_certificate(cert)
        assert chain == [root] and cert.issuer == root.subject

    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    lifetime = cert.not_valid_after_utc - clock.now()
    assert timedelta(days=5 * 365 - 2) < lifetime <= timedelta(days=5 * 365)

    # Only the leader approves among the demo staff: one officer key, named after the person.
    assert sorted(p.name for p in (folder / "officers").iterdir()) == [f"{LEADER}.p12"]
    _key, officer, _chain = pki.load_pkcs12(folder / "officers" / f"{LEADER}.p12")
    assert _attr(officer.subject, NameOID.COMMON_NAME) == demo_officer().full_name
    assert _attr(officer.subject, NameOID.USER_ID) == LEADER
    assert _attr(officer.subject, NameOID.ORGANIZATION_NAME) == demo_unit().name_vi
    assert "TEST" in _attr(officer.subject, NameOID.ORGANIZATIONAL_UNIT_NAME)


def test_a_second_run_creates_nothing(demo, use_pki):
    before = {path: path.stat().st_mtime_ns for path in use_pki.rglob("*") if path.is_file()}
    output = StringIO()
    call_command("pki_init", stdout=output)
    assert output.getvalue().startswith("Nothing to create")
    assert {path: path.stat().st_mtime_ns for path in use_pki.rglob("*") if path.is_file()} == before


def test_rsa_keys_chosen_units_and_officers_and_a_configured_passphrase(demo, settings, tmp_path):
    for name, value in pki_settings(tmp_path).items():
        setattr(settings, name, value)
    settings.MOTCUA_PKI_PASSPHRASE = "operator-chosen secret"
    output = StringIO()
    call_command("pki_init", "--key-type", "rsa", "--units", DEMO_COMMUNE, "--officers", LEADER, stdout=output)
    lines = output.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        'Created root CA "motcua TEST Root CA - NOT FOR PRODUCTION"',
        f"Created unit seal {DEMO_COMMUNE} ({demo_unit().name_vi})",
        f"Created officer key {LEADER} ({demo_officer().full_name})",
    ]
    assert not (tmp_path / "passphrase").exists()  # the configured one is used
    assert [p.name for p in (tmp_path / "units").iterdir()] == [f"{DEMO_COMMUNE}.p12"]
    key, cert, _chain = pki.load_pkcs12(tmp_path / "units" / f"{DEMO_COMMUNE}.p12", b"operator-chosen secret")
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    root = x509.load_pem_x509_certificate((tmp_path / "ca" / "root.pem").read_bytes())
    assert isinstance(root.public_key(), rsa.RSAPublicKey)

    # RSA keys sign and validate like the EC ones.
    import weasyprint

    pdf = weasyprint.HTML(string="<p>Giấy chứng nhận</p>").write_pdf()
    pdf = signing.sign_pdf(pdf, signing.signer_for_officer(demo_officer()), field_name="leader", reason="Phê duyệt")
    pdf = signing.sign_pdf(pdf, signing.signer_for_unit(demo_unit()), field_name="seal", reason="Đóng dấu")
    result = signing.validate_pdf(pdf)
    assert result.all_valid and result.all_trusted and result.intact
    assert [s.signer_common_name for s in result.signatures] == [demo_officer().full_name, demo_unit().name_vi]

    # Later runs add what is missing with the CA key kept on disk; an officer only: no unit seals.
    more = StringIO()
    call_command("pki_init", "--units", "000.00.00.G11", stdout=more)
    assert more.getvalue().startswith("Created unit seal 000.00.00.G11")
    _key, seal, _ = pki.load_pkcs12(tmp_path / "units" / "000.00.00.G11.p12", b"operator-chosen secret")
    assert seal.issuer == root.subject and isinstance(seal.public_key(), ec.EllipticCurvePublicKey)


def test_unknown_units_and_officers_are_refused(demo, settings, tmp_path):
    for name, value in pki_settings(tmp_path).items():
        setattr(settings, name, value)
    with pytest.raises(CommandError, match="999.99.99.X00"):
        call_command("pki_init", "--units", "999.99.99.X00", stdout=StringIO())
    with pytest.raises(CommandError, match="handler.demo"):
        call_command("pki_init", "--officers", "handler.demo", stdout=StringIO())  # not an approver
    assert not (tmp_path / "units").exists()


def test_a_deputy_with_a_delegation_in_force_is_an_approving_officer(demo):
    deputy = User.objects.get(username="handler.demo")
    assert deputy not in pki.approving_officers()
    today = clock.today()
    Delegation.objects.create(unit=Unit.objects.get(agency_code=DEMO_COMMUNE), delegator=User.objects.get(
        username=LEADER), delegate=deputy, starts_on=today, ends_on=today + timedelta(days=3), created_at=clock.now())
    assert [user.username for user in pki.approving_officers()] == ["handler.demo", LEADER]
    Delegation.objects.update(starts_on=date(2020, 1, 1), ends_on=date(2020, 1, 2))
    assert deputy not in pki.approving_officers()


def test_a_lost_or_wrong_passphrase_is_reported_not_replaced(demo, settings, tmp_path):
    for name, value in pki_settings(tmp_path).items():
        setattr(settings, name, value)
    call_command("pki_init", "--units", DEMO_COMMUNE, stdout=StringIO())
    settings.MOTCUA_PKI_PASSPHRASE = "not the one"
    with pytest.raises(CommandError, match="MOTCUA_PKI_PASSPHRASE"):
        call_command("pki_init", stdout=StringIO())
    settings.MOTCUA_PKI_PASSPHRASE = ""
    (tmp_path / "passphrase").unlink()
    with pytest.raises(CommandError, match="passphrase"):
        call_command("pki_init", stdout=StringIO())
    assert not (tmp_path / "passphrase").exists()
    # Signing says what is wrong, as a 503 naming the key.
    with pytest.raises(signing.SigningUnavailable, match="PASSPHRASE"):
        signing.signer_for_unit(demo_unit())
