"""A local TEST public-key infrastructure: a root CA, a seal certificate per unit, a personal one per approver.

Everything it issues says TEST in its subject, so a result signed with it can never pass for a production one. In
production the keys live on a PKCS#11 token or HSM holding certificates from the ministry's CA (see signing.py);
this module is what `manage.py pki_init` runs so that a laptop or a test run can sign without one.

Layout under `settings.MOTCUA_PKI_DIR`:

    ca/root.pem                 the root certificate (a trust root: every *.pem in ca/ is one)
    ca/root.key                 its private key, encrypted with the passphrase, so later runs can issue more
    units/<agency_code>.p12     a unit's seal key, certificate and chain (PKCS#12, encrypted)
    officers/<username>.p12     an approving officer's personal key, certificate and chain
    passphrase                  the PKCS#12/key passphrase (mode 0600), unless MOTCUA_PKI_PASSPHRASE is set
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db.models import Q, QuerySet

from motcua.core import clock

# Every certificate issued here carries this in its subject (OU of leaves, CN of the root).
TEST_MARK = "NOT FOR PRODUCTION"
TEST_OU = f"TEST - {TEST_MARK}"
TEST_ORGANIZATION = "motcua test"
ROOT_COMMON_NAME = f"motcua TEST Root CA - {TEST_MARK}"

KEY_TYPES = ("ec", "rsa")
LEAF_VALIDITY = timedelta(days=5 * 365)
ROOT_VALIDITY = timedelta(days=10 * 365)
# Certificates start a day before "now", so a signer whose clock is a little behind still sees them as valid.
BACKDATE = timedelta(days=1)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


# ---- where things are -------------------------------------------------------------------------------------------

def pki_dir() -> Path:
    return Path(settings.MOTCUA_PKI_DIR)


def ca_dir() -> Path:
    return pki_dir() / "ca"


def root_cert_path() -> Path:
    return ca_dir() / "root.pem"


def root_key_path() -> Path:
    return ca_dir() / "root.key"


def unit_key_path(agency_code: str) -> Path:
    return pki_dir() / "units" / f"{_safe_name(agency_code)}.p12"


def officer_key_path(username: str) -> Path:
    return pki_dir() / "officers" / f"{_safe_name(username)}.p12"


def _safe_name(name: str) -> str:
    """A file name from an agency code or username: no path separators, no leading dot."""
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\0" in name:
        raise ValueError(f"{name!r} cannot be used as a key file name")
    return name


# ---- passphrase and files ---------------------------------------------------------------------------------------

def passphrase() -> bytes:
    """MOTCUA_PKI_PASSPHRASE, else the one generated once into <PKI_DIR>/passphrase (mode 0600)."""
    configured = getattr(settings, "MOTCUA_PKI_PASSPHRASE", "")
    if configured:
        return configured.encode()
    path = pki_dir() / "passphrase"
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        return b""


class PkiError(Exception):
    """The PKI folder cannot be completed as it is (a lost passphrase, a damaged CA file)."""


def _ensure_passphrase() -> Path | None:
    """Generate the passphrase file when none is configured or stored; the path when it was created."""
    if getattr(settings, "MOTCUA_PKI_PASSPHRASE", "") or passphrase():
        return None
    if root_key_path().exists():
        raise PkiError(f"{root_key_path()} exists but its passphrase does not: set MOTCUA_PKI_PASSPHRASE, or move "
                       f"{pki_dir()} away to start a new TEST PKI.")
    path = pki_dir() / "passphrase"
    atomic_write(path, secrets.token_urlsafe(32).encode() + b"\n", mode=0o600)
    return path


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write `data` to a temporary file beside `path` and rename it over, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """One pki_init at a time per PKI folder (two would each make a root CA)."""
    pki_dir().mkdir(parents=True, exist_ok=True)
    with open(pki_dir() / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---- keys and certificates --------------------------------------------------------------------------------------

def new_private_key(key_type: str = "ec") -> PrivateKey:
    """ECDSA P-256 ("ec", the default: small and fast) or RSA-2048 ("rsa")."""
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"key type must be one of {KEY_TYPES}, not {key_type!r}")


def is_test_certificate(cert: x509.Certificate | asn1_x509.Certificate) -> bool:
    """Whether the certificate (or its issuer) is marked as a TEST one, as everything issued here is.

    Takes a cryptography or an asn1crypto (pyHanko's) certificate.
    """
    if isinstance(cert, asn1_x509.Certificate):
        values = [*cert.subject.native.values(), *cert.issuer.native.values()]
    else:
        values = [attribute.value for name in (cert.subject, cert.issuer) for attribute in name]
    flat = [item for value in values for item in (value if isinstance(value, list) else [value])]
    return any(isinstance(value, str) and TEST_MARK in value for value in flat)


def make_root_ca(key_type: str = "ec", *, now: datetime | None = None) -> tuple[PrivateKey, x509.Certificate]:
    """A self-signed TEST root CA that may issue end-entity certificates only (path length 0)."""
    now = now or clock.now()
    key = new_private_key(key_type)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, TEST_ORGANIZATION),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEST_OU),
        x509.NameAttribute(NameOID.COMMON_NAME, ROOT_COMMON_NAME),
    ])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue_certificate(
    ca_key: PrivateKey, ca_cert: x509.Certificate, subject: x509.Name, *, key_type: str = "ec",
    now: datetime | None = None, validity: timedelta = LEAF_VALIDITY,
) -> tuple[PrivateKey, x509.Certificate]:
    """A new key and a signing certificate for it (digitalSignature + nonRepudiation), issued by the CA."""
    now = now or clock.now()
    key = new_private_key(key_type)
    not_after = min(now + validity, ca_cert.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _common_name(value: str) -> x509.NameAttribute:
    """CN holds at most 64 characters (RFC 5280). cryptography counts UTF-8 bytes instead, which refuses most
    Vietnamese unit names (three bytes for many letters), so the byte check is waived for names within 64 characters.
    """
    if len(value) > 64:
        value = value[:63] + "…"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return x509.NameAttribute(NameOID.COMMON_NAME, value, _validate=False)


def unit_subject(agency_code: str, name_vi: str) -> x509.Name:
    """O and CN (at most 64 characters) the unit's Vietnamese name, organizationIdentifier its agency code, OU TEST."""
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, name_vi),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEST_OU),
        x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, agency_code),
        _common_name(name_vi),
    ])


def officer_subject(username: str, full_name: str, organization: str) -> x509.Name:
    """CN the officer's full name, UID the username, O the unit they approve for, OU the TEST mark."""
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization or TEST_ORGANIZATION),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEST_OU),
        x509.NameAttribute(NameOID.USER_ID, username),
        _common_name(full_name or username),
    ])


def pkcs12_bytes(key: PrivateKey, cert: x509.Certificate, chain: Iterable[x509.Certificate], *, label: str,
                 secret: bytes) -> bytes:
    encryption = serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption()
    return pkcs12.serialize_key_and_certificates(label.encode(), key, cert, list(chain), encryption)


def load_pkcs12(path: Path, secret: bytes | None = None) -> tuple[PrivateKey, x509.Certificate,
                                                                   list[x509.Certificate]]:
    """Key, certificate and chain of a PKCS#12 file written by pki_init."""
    key, cert, chain = pkcs12.load_key_and_certificates(path.read_bytes(), secret or passphrase() or None)
    if key is None or cert is None:
        raise ValueError(f"{path} holds no key and certificate")
    return key, cert, list(chain)  # type: ignore[return-value]


def load_root() -> tuple[PrivateKey, x509.Certificate]:
    cert = x509.load_pem_x509_certificate(root_cert_path().read_bytes())
    key = serialization.load_pem_private_key(root_key_path().read_bytes(), passphrase() or None)
    return key, cert  # type: ignore[return-value]


# ---- who gets a key ---------------------------------------------------------------------------------------------

def approving_officers() -> QuerySet:
    """Staff accounts that hold the leader role in an active unit, or a delegation of approval in force today."""
    from motcua.identity.models import AccountKind, User
    from motcua.organization.models import Role

    today = clock.today()
    return User.objects.filter(
        Q(role_assignments__role=Role.LEADER, role_assignments__unit__is_active=True)
        | Q(delegations_received__starts_on__lte=today, delegations_received__ends_on__gte=today,
            delegations_received__revoked_at__isnull=True),
        kind=AccountKind.STAFF, is_active=True,
    ).distinct().order_by("username")


def officer_organization(user: object) -> str:
    """The Vietnamese name of the first unit (in tree order) the officer leads or approves for."""
    from motcua.organization.models import Role, Unit

    unit = (Unit.objects.filter(role_assignments__user=user, role_assignments__role=Role.LEADER).order_by("path")
            .first()
            or Unit.objects.filter(delegations__delegate=user).order_by("path").first())
    return unit.name_vi if unit else TEST_ORGANIZATION


# ---- pki_init ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Created:
    what: str  # "passphrase", "root CA", "unit seal", "officer key"
    name: str
    path: Path
    note: str = ""

    def __str__(self) -> str:
        label = f"{self.what} {self.name}".strip()
        return f"Created {label}: {self.path}{f' ({self.note})' if self.note else ''}"


def init_pki(*, units: Iterable | None = None, officers: Iterable | None = None,
             key_type: str = "ec") -> list[Created]:
    """Create what is missing of the TEST PKI: passphrase, root CA, a seal per unit, a key per officer.

    `units` are Unit rows (default: every active unit), `officers` User rows (default: `approving_officers()`).
    Existing files are kept as they are, so a second run creates nothing. Returns what was created, in order.
    """
    from motcua.organization.models import Unit

    if key_type not in KEY_TYPES:
        raise ValueError(f"key type must be one of {KEY_TYPES}, not {key_type!r}")
    created: list[Created] = []
    with _locked():
        made = _ensure_passphrase()
        if made:
            created.append(Created("passphrase", "", made))
        secret = passphrase()
        if root_cert_path().exists() and root_key_path().exists():
            try:
                ca_key, ca_cert = load_root()
            except (ValueError, TypeError) as exc:
                raise PkiError(f"The CA in {ca_dir()} cannot be read ({exc}): is MOTCUA_PKI_PASSPHRASE the one it was "
                               "made with?") from exc
        else:
            ca_key, ca_cert = make_root_ca(key_type)
            encryption = serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption()
            atomic_write(root_key_path(), ca_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption), mode=0o600)
            atomic_write(root_cert_path(), ca_cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
            created.append(Created("root CA", f'"{ROOT_COMMON_NAME}"', root_cert_path(),
                                   f"its key: {root_key_path()}"))

        for unit in (Unit.objects.filter(is_active=True).order_by("path") if units is None else units):
            path = unit_key_path(unit.agency_code)
            if path.exists():
                continue
            key, cert = issue_certificate(ca_key, ca_cert, unit_subject(unit.agency_code, unit.name_vi),
                                          key_type=key_type)
            atomic_write(path, pkcs12_bytes(key, cert, [ca_cert], label=f"unit-{unit.agency_code}", secret=secret))
            created.append(Created("unit seal", f"{unit.agency_code} ({unit.name_vi})", path))

        for user in (approving_officers() if officers is None else officers):
            path = officer_key_path(user.username)
            if path.exists():
                continue
            full_name = getattr(user, "full_name", "") or user.get_full_name()
            subject = officer_subject(user.username, full_name, officer_organization(user))
            key, cert = issue_certificate(ca_key, ca_cert, subject, key_type=key_type)
            atomic_write(path, pkcs12_bytes(key, cert, [ca_cert], label=f"officer-{user.username}", secret=secret))
            created.append(Created("officer key", f"{user.username} ({full_name})", path))
    return created
