"""PAdES signing and validation of results, checked with pyHanko and, independently, with poppler's pdfsig."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.exceptions import ImproperlyConfigured
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from motcua.core.errors import Conflict, ValidationFailed
from motcua.demo.data import DEMO_COMMUNE
from motcua.results import pki, signing

from .conftest import demo_officer, demo_unit, pdfsig, require_tool

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"

# Signing needs no database, but the session's PKI is made by pki_init over the demo units: pytest-django creates
# the test database only for a run that holds a test marked for it.
pytestmark = pytest.mark.django_db


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def _asn1_key(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption()))


def _tampered(pdf: bytes) -> bytes:
    """One byte changed in the binary comment after the header: inside every signature's first signed range."""
    position = pdf.index(b"\n%", 0, 64) + 3
    changed = bytearray(pdf)
    changed[position] ^= 0x01
    return bytes(changed)


def test_leader_signature_then_unit_seal_both_valid_and_trusted(use_pki, plain_pdf, signed_pdf):
    once, twice = signed_pdf
    # Incremental updates: each earlier revision is a byte-identical prefix.
    assert once.startswith(plain_pdf) and twice.startswith(once)

    result = signing.validate_pdf(twice)
    assert result.signed and result.all_valid and result.all_trusted and result.intact
    leader, seal = result.signatures
    assert (leader.field_name, seal.field_name) == ("leader", "seal")
    assert leader.signer_common_name == demo_officer().full_name
    assert leader.signer_organization == demo_unit().name_vi
    assert seal.signer_common_name == seal.signer_organization == demo_unit().name_vi
    for signature in (leader, seal):
        assert signature.intact and signature.valid and signature.trusted and signature.ok
        assert signature.test_certificate and "TEST" in signature.summary and "THỬ NGHIỆM" in signature.summary_vi
        assert signature.issuer_common_name == pki.ROOT_COMMON_NAME
        assert not signature.timestamped and signature.signing_time is not None
        assert abs(signature.signing_time - datetime.now(UTC)) < timedelta(minutes=10)
        assert int(signature.certificate_serial, 16) > 0
    assert (leader.reason, leader.location, seal.reason) == ("Phê duyệt kết quả", "Hà Nội", "Đóng dấu đơn vị")
    # The seal covers everything; after the leader's signature only a signature was added.
    assert seal.covers_whole_document and seal.modification_level == "none"
    assert not leader.covers_whole_document and leader.later_revisions_ok
    assert leader.modification_level in ("lta_updates", "form_filling")
    assert "Valid, trusted signature by Hoàng Minh Đức" in leader.summary

    # The once-signed revision validates on its own too.
    alone = signing.validate_pdf(once)
    assert [s.field_name for s in alone.signatures] == ["leader"] and alone.all_trusted
    assert alone.signatures[0].covers_whole_document


def test_pdfsig_finds_both_signatures_valid_and_trusted(signed_pdf, nss_db, tmp_path):
    verdicts = pdfsig(signed_pdf[1], nss_db, tmp_path)
    assert [v["field"] for v in verdicts] == ["leader", "seal"], verdicts
    for verdict in verdicts:
        assert "Signature is Valid" in verdict["signature"], verdict["text"]
        assert "Certificate is Trusted" in verdict["certificate"], verdict["text"]
        assert "ETSI.CAdES.detached" in verdict["text"] and "SHA-256" in verdict["text"]


def test_one_changed_byte_breaks_both_signatures(use_pki, signed_pdf, nss_db, tmp_path):
    tampered = _tampered(signed_pdf[1])
    result = signing.validate_pdf(tampered)
    assert result.signed and not result.all_valid and not result.all_trusted and not result.intact
    for signature in result.signatures:
        assert not signature.intact and not signature.valid and not signature.trusted
        assert signature.summary.startswith("INVALID")

    verdicts = pdfsig(tampered, nss_db, tmp_path)
    assert len(verdicts) == 2
    for verdict in verdicts:
        assert "Signature is Valid" not in verdict["signature"], verdict["text"]
        assert verdict["signature"], verdict["text"]  # e.g. "Digest Mismatch."


def _self_signed_signer(name: str) -> tuple[SimpleSigner, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Nobody")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    signer = SimpleSigner(signing_cert=_asn1(cert), signing_key=_asn1_key(key),
                          cert_registry=SimpleCertificateStore())
    return signer, cert


def test_a_signer_outside_the_trust_roots_is_valid_but_untrusted(use_pki, settings, plain_pdf, tmp_path):
    signer, cert = _self_signed_signer("Kẻ mạo danh")
    signed = signing.sign_pdf(plain_pdf, signer, field_name="seal", reason="Đóng dấu")
    result = signing.validate_pdf(signed)
    assert result.signed and result.all_valid and result.intact and not result.all_trusted
    (signature,) = result.signatures
    assert signature.intact and signature.valid and not signature.trusted and not signature.ok
    assert signature.signer_common_name == "Kẻ mạo danh" and not signature.test_certificate
    assert "NOT trusted" in signature.summary and "KHÔNG được tin cậy" in signature.summary_vi

    # Listed in MOTCUA_TRUST_ROOTS (as the ministry's CA would be), it is trusted.
    pem = tmp_path / "ministry-ca.pem"
    pem.write_bytes(cert.public_bytes(Encoding.PEM))
    settings.MOTCUA_TRUST_ROOTS = [str(pem)]
    assert len(signing.trust_roots()) == 2
    assert signing.validate_pdf(signed).all_trusted
    settings.MOTCUA_TRUST_ROOTS = [str(tmp_path / "missing.pem")]
    with pytest.raises(ImproperlyConfigured, match="missing.pem"):
        signing.trust_roots()


def test_trust_roots_are_the_pki_root(use_pki):
    (root,) = signing.trust_roots()
    assert root == x509.load_pem_x509_certificate((use_pki / "ca" / "root.pem").read_bytes())


def test_a_unit_without_a_key_is_signing_unavailable(use_pki):
    unit = demo_unit()
    unit.agency_code, unit.name_vi = "999.99.99.X00", "Đơn vị chưa có khóa"
    with pytest.raises(signing.SigningUnavailable) as caught:
        signing.signer_for_unit(unit)
    error = caught.value
    assert error.status == 503 and error.code == "signing_unavailable"
    body = error.as_dict()
    assert "999.99.99.X00" in body["message_en"] and "pki_init" in body["message_en"]
    assert "PKCS#11" in body["message_en"] and "Đơn vị chưa có khóa" in body["message_vi"]
    assert body["unit"] == "999.99.99.X00"

    officer = demo_officer("handler.demo")
    assert signing.signer_for_officer(officer) is None  # no personal key: only the seal is applied


def test_signers_stay_loaded_until_their_file_changes(use_pki, tmp_path, settings):
    first = signing.signer_for_unit(demo_unit())
    assert signing.signer_for_unit(demo_unit()) is first
    # A replaced key file (other mtime) is read again.
    copy = tmp_path / "pki"
    import shutil

    shutil.copytree(use_pki, copy)
    settings.MOTCUA_PKI_DIR = copy
    moved = signing.signer_for_unit(demo_unit())
    assert moved is not first
    path = pki.unit_key_path(DEMO_COMMUNE)
    stat = path.stat()
    import os

    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert signing.signer_for_unit(demo_unit()) is not moved


def test_garbage_is_refused_with_422_naming_the_file(use_pki, signed_pdf):
    for garbage in (b"", b"garbage", b"%PDF-1.7\nnot really", signed_pdf[1][: len(signed_pdf[1]) // 2]):
        with pytest.raises(ValidationFailed) as caught:
            signing.validate_pdf(garbage)
        assert caught.value.status == 422
        (error,) = caught.value.errors
        assert (error.field, error.rule) == ("file", "pdf")
    with pytest.raises(ValidationFailed):
        signing.sign_pdf(b"garbage", signing.signer_for_unit(demo_unit()), field_name="seal", reason="x")


def test_an_unsigned_pdf_is_reported_unsigned(use_pki, plain_pdf):
    result = signing.validate_pdf(plain_pdf)
    assert result.signatures == [] and not result.signed and not result.all_valid and not result.intact


def test_signing_a_field_twice_is_a_conflict(use_pki, signed_pdf):
    with pytest.raises(Conflict):
        signing.sign_pdf(signed_pdf[1], signing.signer_for_unit(demo_unit()), field_name="seal", reason="x")


def test_a_pkcs11_token_signs_with_the_unit_key(use_pki, settings, tmp_path, monkeypatch, plain_pdf, no_caches):
    """SoftHSM2 as the token: the unit's key and certificate imported under the label unit-<agency code>."""
    softhsm = require_tool("softhsm2-util", "softhsm2")
    tool = require_tool("pkcs11-tool", "opensc")
    assert Path(SOFTHSM_MODULE).exists(), f"{SOFTHSM_MODULE} is missing: install softhsm2 (`make test` does)."
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))  # read when the module is loaded, below

    def run(*args: str) -> None:
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{' '.join(args)}: {done.stdout}{done.stderr}"

    run(softhsm, "--init-token", "--free", "--label", "motcua", "--pin", "1234", "--so-pin", "5678")
    key, cert, _chain = pki.load_pkcs12(use_pki / "units" / f"{DEMO_COMMUNE}.p12")
    (tmp_path / "key.der").write_bytes(key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption()))
    (tmp_path / "cert.der").write_bytes(cert.public_bytes(Encoding.DER))
    for kind, file in (("privkey", "key.der"), ("cert", "cert.der")):
        run(tool, "--module", SOFTHSM_MODULE, "--token-label", "motcua", "--login", "--pin", "1234",
            "--write-object", str(tmp_path / file), "--type", kind, "--label", f"unit-{DEMO_COMMUNE}", "--id", "01")
    (tmp_path / "pin").write_text("1234\n")
    settings.MOTCUA_PKCS11_MODULE = SOFTHSM_MODULE
    settings.MOTCUA_PKCS11_TOKEN = "motcua"
    settings.MOTCUA_PKCS11_PIN_FILE = str(tmp_path / "pin")

    signer = signing.signer_for_unit(demo_unit())
    assert type(signer).__name__ == "PKCS11Signer"
    assert signing.signer_for_officer(demo_officer()) is None  # no officer-leader.demo on the token
    signed = signing.sign_pdf(plain_pdf, signer, field_name="seal", reason="Đóng dấu đơn vị")
    signed_again = signing.sign_pdf(signed, signing.signer_for_unit(demo_unit()), field_name="seal2", reason="x")
    result = signing.validate_pdf(signed_again)
    assert result.all_valid and result.all_trusted and result.intact
    assert [s.signer_common_name for s in result.signatures] == [demo_unit().name_vi] * 2

    other = demo_unit("000.00.00.G11")
    with pytest.raises(signing.SigningUnavailable, match="unit-000.00.00.G11"):
        signing.signer_for_unit(other)


@pytest.fixture
def local_tsa(use_pki: Path, settings: object) -> Iterator[tuple[datetime, list[bytes]]]:
    """A stand-in RFC 3161 TSA on 127.0.0.1: pyHanko's DummyTimeStamper with a TSA certificate from the TEST root.

    Yields the time it stamps (fixed, two minutes ago, so it differs from the signer's claimed time) and the requests
    it received.
    """
    ca_key, ca_cert = pki.load_root()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # DummyTimeStamper signs with RSA only
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "motcua TEST TSA - NOT FOR PRODUCTION")]))
        .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    stamped_at = (now - timedelta(minutes=2)).replace(microsecond=0)
    stamper = DummyTimeStamper(tsa_cert=_asn1(cert), tsa_key=_asn1_key(key), fixed_dt=stamped_at)
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(body)
            answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.MOTCUA_TSA_URL = f"http://127.0.0.1:{server.server_address[1]}/tsa"
    try:
        yield stamped_at, received
    finally:
        server.shutdown()
        server.server_close()


def test_with_a_tsa_the_signature_carries_a_timestamp(local_tsa, plain_pdf, nss_db, tmp_path):
    stamped_at, received = local_tsa
    once = signing.sign_pdf(plain_pdf, signing.signer_for_officer(demo_officer()), field_name="leader", reason="x")
    twice = signing.sign_pdf(once, signing.signer_for_unit(demo_unit()), field_name="seal", reason="y")
    assert len(received) >= 2
    result = signing.validate_pdf(twice)
    assert result.all_valid and result.all_trusted and result.intact
    for signature in result.signatures:
        assert signature.timestamped and signature.signing_time == stamped_at
        assert "(timestamped)" in signature.summary
    assert all("Signature is Valid" in v["signature"] for v in pdfsig(twice, nss_db, tmp_path))


def test_an_unreachable_tsa_is_signing_unavailable(use_pki, settings, plain_pdf):
    settings.MOTCUA_TSA_URL = "http://127.0.0.1:9/tsa"  # discard port: nothing listens
    settings.MOTCUA_TSA_TIMEOUT = 2
    with pytest.raises(signing.SigningUnavailable, match="127.0.0.1:9"):
        signing.sign_pdf(plain_pdf, signing.signer_for_unit(demo_unit()), field_name="seal", reason="x")
