"""PAdES signatures of electronic results: whose key signs, signing, and validating a signed PDF.

The contract other modules code against:

- `signer_for_unit(unit)` -> the unit's seal signer, or `SigningUnavailable` (503) when the unit has no key;
- `signer_for_officer(user)` -> the officer's personal signer, or None when they have none (then only the seal is
  applied);
- `sign_pdf(pdf, signer, field_name=..., reason=...)` -> the PDF with one more signature, as an incremental update;
- `validate_pdf(pdf)` -> `PdfValidation`, or `ValidationFailed` (422, field "file") for bytes that are not a PDF;
- `trust_roots()` -> the certificates signatures are trusted up to.

Keys come from PKCS#12 files made by `manage.py pki_init` (a TEST PKI, see pki.py), or from a PKCS#11 token or HSM
when MOTCUA_PKCS11_MODULE is set, where the key and certificate of a unit are labelled `unit-<agency_code>` and those
of an officer `officer-<username>`. With MOTCUA_TSA_URL every signature gets an RFC 3161 timestamp (PAdES B-T),
without it PAdES B-B.

The time a signature claims is the machine's real time (or the TSA's), not `core.clock`: a signature states when it
was made, and the domain clock may be set to another date (imports, the simulator).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
import weakref
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise, lazy
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, Signer, SimpleSigner
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError
from pyhanko.sign.validation import EmbeddedPdfSignature
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from motcua.core.errors import Conflict, DomainError, FieldError, ValidationFailed, active_language

from . import pki

if TYPE_CHECKING:
    from motcua.identity.models import User
    from motcua.organization.models import Unit

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _bilingual(vi: str, en: str) -> Promise:
    """A message in both languages without a catalog entry (it embeds names, so it is built at run time)."""
    return lazy(lambda: vi if active_language() == "vi" else en, str)()


class SigningUnavailable(DomainError):
    """No key to sign with (or the token/TSA holding or stamping it does not answer): the service is unavailable."""

    status = 503
    code = "signing_unavailable"


# ---- keys -------------------------------------------------------------------------------------------------------

_lock = threading.Lock()
# Loaded signers stay in memory: PKCS#12 ones keyed by path (and reloaded when the file's mtime or size changes),
# PKCS#11 ones by (module, token, label, pid) since a session must not cross a fork.
_file_signers: dict[str, tuple[tuple[int, int], Signer]] = {}
_token_signers: dict[tuple[str, str, str, int], Signer] = {}
_token_sessions: dict[tuple[str, str, int], Any] = {}
# A PKCS#11 session serves one operation at a time.
_token_lock = threading.Lock()


def pkcs11_enabled() -> bool:
    return bool(getattr(settings, "MOTCUA_PKCS11_MODULE", ""))


def signer_for_unit(unit: Unit) -> Signer:
    """The unit's seal signer. SigningUnavailable (503) when the unit has no key."""
    code = unit.agency_code
    if pkcs11_enabled():
        signer = _token_signer(f"unit-{code}")
        fix_vi = f"nạp khóa và chứng thư nhãn unit-{code} vào thiết bị PKCS#11 đã cấu hình"
        fix_en = f"load a key and certificate labelled unit-{code} onto the configured PKCS#11 token"
    else:
        signer = _file_signer(pki.unit_key_path(code))
        fix_vi = (f"chạy `manage.py pki_init --units {code}` (khóa THỬ NGHIỆM) hoặc cấu hình thiết bị PKCS#11 "
                  "(MOTCUA_PKCS11_MODULE)")
        fix_en = (f"run `manage.py pki_init --units {code}` (a TEST key) or configure a PKCS#11 token "
                  "(MOTCUA_PKCS11_MODULE)")
    if signer is None:
        name = getattr(unit, "name_vi", "") or code
        raise SigningUnavailable(
            _bilingual(f"Đơn vị {name} ({code}) chưa có khóa ký số: {fix_vi}.",
                       f"The unit {name} ({code}) has no signing key: {fix_en}."),
            extra={"unit": code},
        )
    return signer


def signer_for_officer(user: User) -> Signer | None:
    """The officer's personal signer, or None when they have no key (then only the unit's seal is applied)."""
    if pkcs11_enabled():
        return _token_signer(f"officer-{user.username}")
    return _file_signer(pki.officer_key_path(user.username))


def _file_signer(path: Path) -> Signer | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    version = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _file_signers.get(str(path))
        if cached and cached[0] == version:
            return cached[1]
        try:
            key, cert, chain = pki.load_pkcs12(path)
            signer = _KeptKeySigner(key, cert, chain)
        except (OSError, ValueError) as exc:
            logger.warning("Cannot load signing key %s: %s", path, exc)
            raise SigningUnavailable(
                _bilingual(f"Không đọc được khóa ký {path.name} (sai mật khẩu MOTCUA_PKI_PASSPHRASE hoặc tệp hỏng).",
                           f"The signing key {path.name} cannot be read (wrong MOTCUA_PKI_PASSPHRASE or a damaged "
                           "file)."),
                extra={"key": path.name},
            ) from exc
        _file_signers[str(path)] = (version, signer)
        return signer


class _KeptKeySigner(SimpleSigner):
    """A SimpleSigner that keeps its private key parsed.

    pyHanko's SimpleSigner re-reads the DER key for every signature, and signs once more in the dry run that sizes
    the signature container; for RSA each read re-checks the key (~40 ms). This one parses the key once and answers
    the dry run with a dummy value of the right size.
    """

    def __init__(self, key: pki.PrivateKey, cert: x509.Certificate, chain: list[x509.Certificate]) -> None:
        self._key = key
        as_asn1 = [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in [*chain, *trust_roots()]]
        super().__init__(
            signing_cert=asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER)),
            signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(Encoding.DER, PrivateFormat.PKCS8,
                                                                        NoEncryption())),
            cert_registry=SimpleCertificateStore.from_certs(as_asn1),
        )

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            if isinstance(self._key, rsa.RSAPrivateKey):
                return bytes(self._key.key_size // 8)
            return bytes(2 * ((self._key.curve.key_size + 7) // 8 + 3) + 2)  # the longest DER ECDSA value
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        try:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        except ValueError:  # as pyHanko: a mechanism name asn1crypto cannot split, e.g. ed25519
            return super().sign_raw(data, digest_algorithm)
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "ecdsa" and isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(hash_algorithm))
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, PKCS1v15(), hash_algorithm)
        return super().sign_raw(data, digest_algorithm)


def _pin() -> str | None:
    pin = getattr(settings, "MOTCUA_PKCS11_PIN", "")
    pin_file = getattr(settings, "MOTCUA_PKCS11_PIN_FILE", "")
    if not pin and pin_file:
        try:
            pin = Path(pin_file).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"MOTCUA_PKCS11_PIN_FILE {pin_file} cannot be read: {exc}") from exc
    return pin or None  # None: the token authenticates by itself (PIN pad) or needs no login


def _token_unavailable(exc: Exception) -> SigningUnavailable:
    module = settings.MOTCUA_PKCS11_MODULE
    token = getattr(settings, "MOTCUA_PKCS11_TOKEN", "") or "?"
    logger.warning("PKCS#11 token %s (%s) failed: %r", token, module, exc)
    reason = str(exc) or type(exc).__name__
    return SigningUnavailable(_bilingual(
        f"Thiết bị ký PKCS#11 (token {token}, module {module}) báo lỗi: {reason}. Kiểm tra MOTCUA_PKCS11_TOKEN, mã "
        "PIN và khóa trên thiết bị.",
        f"The PKCS#11 signing token ({token}, module {module}) failed: {reason}. Check MOTCUA_PKCS11_TOKEN, the PIN "
        "and the keys on the token.",
    ))


def _token_session() -> Any:
    """The process's logged-in session on the configured token (opened once)."""
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import open_pkcs11_session

    module = settings.MOTCUA_PKCS11_MODULE
    token = getattr(settings, "MOTCUA_PKCS11_TOKEN", "")
    key = (module, token, os.getpid())
    session = _token_sessions.get(key)
    if session is None:
        try:
            session = open_pkcs11_session(module, token_criteria=TokenCriteria(label=token) if token else None,
                                          user_pin=_pin())
        except Exception as exc:  # PKCS11Error, OSError for a missing module, ...
            raise _token_unavailable(exc) from exc
        _token_sessions[key] = session
    return session


def _token_signer(label: str) -> Signer | None:
    """A signer for the key and certificate labelled `label` on the token; None when the token has no such pair."""
    from pkcs11 import Attribute, ObjectClass
    from pyhanko.sign.pkcs11 import PKCS11Signer

    key = (settings.MOTCUA_PKCS11_MODULE, getattr(settings, "MOTCUA_PKCS11_TOKEN", ""), label, os.getpid())
    with _lock:
        cached = _token_signers.get(key)
        if cached is not None:
            return cached
        with _token_lock:
            session = _token_session()
            try:
                certs = list(session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label}))
                has_key = any(True for _ in session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                                                                 Attribute.LABEL: label}))
                if not certs or not has_key:
                    return None
                cert = asn1_x509.Certificate.load(certs[0][Attribute.VALUE])
                signer = PKCS11Signer(
                    session, cert_label=label, key_label=label, signing_cert=cert, ca_chain=_asn1_roots(),
                    # ECDSA: hash here, let the token sign the digest (CKM_ECDSA). Every token has that mechanism;
                    # many (SoftHSM 2.6 among them) lack the hash-and-sign CKM_ECDSA_SHA256.
                    use_raw_mechanism=cert.public_key.algorithm == "ec",
                )
                signer.signing_cert  # noqa: B018 - finds the key now, not in the middle of a signature
            except Exception as exc:
                raise _token_unavailable(exc) from exc
        _token_signers[key] = signer
        return signer


def clear_caches() -> None:
    """Forget loaded keys, sessions and trust roots (tests; after replacing keys in place with the same mtime)."""
    with _lock:
        _file_signers.clear()
        _token_signers.clear()
        _token_sessions.clear()
        _roots_cache.clear()
        _timestampers.clear()


# ---- trust roots ------------------------------------------------------------------------------------------------

_roots_cache: dict[tuple, list[x509.Certificate]] = {}


def _root_files() -> list[Path]:
    files = sorted(pki.ca_dir().glob("*.pem")) if pki.ca_dir().is_dir() else []
    for configured in getattr(settings, "MOTCUA_TRUST_ROOTS", []):
        path = Path(configured)
        if not path.is_file():
            raise ImproperlyConfigured(f"MOTCUA_TRUST_ROOTS names {configured}, which is not a file.")
        files.append(path)
    return files


def trust_roots() -> list[x509.Certificate]:
    """Every certificate in `<PKI_DIR>/ca/*.pem` and in the PEM files of MOTCUA_TRUST_ROOTS (the ministry CA)."""
    files = _root_files()
    version = tuple((str(path), path.stat().st_mtime_ns) for path in files)
    cached = _roots_cache.get(version)
    if cached is None:
        cached, seen = [], set()
        for path in files:
            try:
                certs = x509.load_pem_x509_certificates(path.read_bytes())
            except ValueError as exc:
                raise ImproperlyConfigured(f"Trust root file {path} holds no PEM certificate: {exc}") from exc
            for cert in certs:
                fingerprint = cert.fingerprint(hashes.SHA256())
                if fingerprint not in seen:
                    seen.add(fingerprint)
                    cached.append(cert)
        _roots_cache.clear()
        _roots_cache[version] = cached
    return list(cached)


def _asn1_roots() -> list[asn1_x509.Certificate]:
    return [asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER)) for cert in trust_roots()]


# ---- timestamps -------------------------------------------------------------------------------------------------

_timestampers: dict[tuple[str, int], TimeStamper] = {}


def timestamper() -> TimeStamper | None:
    """The RFC 3161 client of MOTCUA_TSA_URL (kept: it remembers the TSA's answer size), or None without one."""
    url = getattr(settings, "MOTCUA_TSA_URL", "")
    if not url:
        return None
    key = (url, getattr(settings, "MOTCUA_TSA_TIMEOUT", 10))
    with _lock:
        if key not in _timestampers:
            _timestampers[key] = HTTPTimeStamper(url, timeout=key[1])
        return _timestampers[key]


# ---- signing ----------------------------------------------------------------------------------------------------

def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run pyHanko's coroutine to the end, also when called from code that already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _not_a_pdf(exc: Exception | None = None) -> ValidationFailed:
    message = _bilingual("Tệp không phải là PDF hợp lệ.", "The file is not a valid PDF.")
    detail = _bilingual(f"Không đọc được tệp PDF{': ' + str(exc) if exc else ''}.",
                        f"The PDF cannot be read{': ' + str(exc) if exc else ''}.")
    return ValidationFailed(message, [FieldError(field="file", rule="pdf", message=detail)])


def _open_incremental(pdf: bytes) -> IncrementalPdfFileWriter:
    if not isinstance(pdf, bytes | bytearray) or not bytes(pdf[:1024]).lstrip().startswith(b"%PDF-"):
        raise _not_a_pdf()
    try:
        return IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    except Exception as exc:  # pyHanko raises PdfReadError, but also KeyError/ValueError on broken structures
        raise _not_a_pdf(exc) from exc


# Bytes reserved in the PDF for a signer's signature container (with or without the TSA's token). pyHanko estimates
# it with a dry-run signature every time; the size does not change from one signature to the next, so it is done once.
_reserved: weakref.WeakKeyDictionary[Signer, dict[str, int]] = weakref.WeakKeyDictionary()


async def _sign(pdf_signer: PdfSigner, writer: IncrementalPdfFileWriter, output: BytesIO) -> None:
    signer, stamper = pdf_signer.signer, pdf_signer.default_timestamper
    sizes = _reserved.setdefault(signer, {})
    key = getattr(stamper, "url", "") if stamper else ""
    if key not in sizes:
        dummy = await signer.async_sign(
            hashes.Hash(hashes.SHA256()).finalize(), "sha256", use_pades=True, dry_run=True, timestamper=stamper,
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=datetime.now(tz=UTC)),
        )
        hex_length = len(dummy.dump()) * 2
        sizes[key] = hex_length + 2 * (hex_length // 4)  # pyHanko's 50 % margin (a TSA's answer varies in size)
    await pdf_signer.async_sign_pdf(writer, bytes_reserved=sizes[key], output=output)


def sign_pdf(pdf: bytes, signer: Signer, *, field_name: str, reason: str, location: str = "",
             contact: str = "") -> bytes:
    """`pdf` with one more PAdES signature (ETSI.CAdES.detached, SHA-256) in a new invisible field `field_name` (or
    in the empty signature field of that name, when the PDF has one: e.g. a visible box the template placed).

    The signature is an incremental update: `pdf` is a byte-identical prefix of the result, so earlier signatures
    stay valid. With MOTCUA_TSA_URL it carries a timestamp (PAdES B-T). Sign the leader's personal signature first,
    then the unit's seal.
    """
    writer = _open_incremental(pdf)
    meta = PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        contact_info=contact or None,
    )
    pdf_signer = PdfSigner(meta, signer=signer, timestamper=timestamper(),
                           new_field_spec=fields.SigFieldSpec(sig_field_name=field_name))  # no box: invisible
    output = BytesIO()
    is_token = type(signer).__name__ == "PKCS11Signer"
    try:
        if is_token:
            with _token_lock:
                _run(_sign(pdf_signer, writer, output))
        else:
            _run(_sign(pdf_signer, writer, output))
    except TimestampRequestError as exc:
        url = settings.MOTCUA_TSA_URL
        raise SigningUnavailable(_bilingual(
            f"Máy chủ cấp dấu thời gian {url} không trả lời ({exc}); chưa ký được.",
            f"The timestamp authority {url} did not answer ({exc}); nothing was signed.",
        )) from exc
    except SigningError as exc:
        if "already" in str(exc):  # "Signature field with name ... appears to be filled already."
            raise Conflict(_bilingual(f"Trường chữ ký {field_name} đã được ký.",
                                      f"The signature field {field_name} is already signed."),
                           extra={"field_name": field_name}) from exc
        raise
    except Exception as exc:
        if is_token and type(exc).__module__.startswith("pkcs11"):
            raise _token_unavailable(exc) from exc
        raise
    return output.getvalue()


# ---- validation -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignatureValidation:
    """What one signature of a PDF says and whether it holds."""

    field_name: str
    signer_common_name: str
    signer_organization: str
    certificate_serial: str  # hexadecimal
    issuer_common_name: str
    test_certificate: bool  # issued by a TEST PKI (pki_init): not a legally valid signature
    signing_time: datetime | None  # the timestamp's time when there is one, else the time the signer claims
    timestamped: bool  # an RFC 3161 timestamp, valid and trusted, gives signing_time
    intact: bool  # the signed bytes' digest matches
    valid: bool  # the signature is cryptographically valid over these bytes (so also intact)
    trusted: bool  # the certificate chains up to a trust root (and is valid now)
    covers_whole_document: bool  # nothing was appended after this signature
    modification_level: str  # after signing: "none", "lta_updates", "form_filling" (e.g. more signatures), "other"
    later_revisions_ok: bool  # whatever was appended later only adds signatures / fills fields
    reason: str = ""
    location: str = ""
    summary: str = ""
    summary_vi: str = ""
    problem: str = ""  # pyHanko's words when something is wrong

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.later_revisions_ok


@dataclass(frozen=True)
class PdfValidation:
    """The signatures of a PDF, in the order they were applied, and the overall verdict."""

    signatures: list[SignatureValidation] = field(default_factory=list)
    signed: bool = False  # at least one signature
    all_valid: bool = False  # signed, and every signature intact and cryptographically valid
    all_trusted: bool = False  # signed, and every signer's certificate chains up to a trust root
    intact: bool = False  # signed, every signature intact, and nothing but signatures added after any of them


def validation_context() -> ValidationContext:
    # Revocation: soft-fail with fetching off. The test PKI publishes no CRL or OCSP, and the server may have no
    # network; a production CA's revocation data would need fetching (allow_fetching=True) or an embedded DSS.
    return ValidationContext(trust_roots=_asn1_roots(), allow_fetching=False, revocation_mode="soft-fail")


def validate_pdf(pdf: bytes) -> PdfValidation:
    """Validate every signature of `pdf` against `trust_roots()`. ValidationFailed (422, field "file") if not a PDF."""
    if not isinstance(pdf, bytes | bytearray) or not bytes(pdf[:1024]).lstrip().startswith(b"%PDF-"):
        raise _not_a_pdf()
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_regular_signatures)
    except Exception as exc:  # a broken PDF raises anything from PdfReadError to KeyError
        raise _not_a_pdf(exc) from exc
    results = [_validate_one(sig) for sig in embedded]
    signed = bool(results)
    return PdfValidation(
        signatures=results,
        signed=signed,
        all_valid=signed and all(sig.valid for sig in results),
        all_trusted=signed and all(sig.trusted for sig in results),
        intact=signed and all(sig.intact and sig.later_revisions_ok for sig in results),
    )


def _name_part(name: asn1_x509.Name, key: str) -> str:
    value = name.native.get(key, "")
    return ", ".join(value) if isinstance(value, list) else str(value or "")


def _validate_one(sig: EmbeddedPdfSignature) -> SignatureValidation:
    field_name = sig.field_name or ""
    reason = str(sig.sig_object.get("/Reason", "") or "")
    location = str(sig.sig_object.get("/Location", "") or "")
    try:
        cert = sig.signer_cert
        status: PdfSignatureStatus = _run(async_validate_pdf_signature(sig, signer_validation_context=
                                                                      validation_context()))
    except Exception as exc:  # a signature dictionary or CMS blob that cannot be parsed is a failed signature
        logger.info("Signature %s cannot be validated: %r", field_name, exc)
        return SignatureValidation(
            field_name=field_name, signer_common_name="", signer_organization="", certificate_serial="",
            issuer_common_name="", test_certificate=False, signing_time=None, timestamped=False, intact=False,
            valid=False, trusted=False, covers_whole_document=False, modification_level="other",
            later_revisions_ok=False, reason=reason, location=location,
            summary=f"Signature {field_name} cannot be validated: {exc}.",
            summary_vi=f"Không kiểm tra được chữ ký {field_name}: {exc}.", problem=str(exc),
        )
    ts = status.timestamp_validity
    timestamped = bool(ts and ts.intact and ts.valid and ts.trusted)
    signing_time = ts.timestamp if timestamped else status.signer_reported_dt
    level = status.modification_level
    covers_all = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    later_ok = covers_all or (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and level is not None and level <= ModificationLevel.FORM_FILLING
        and status.docmdp_ok is not False
    )
    common_name = _name_part(cert.subject, "common_name")
    organization = _name_part(cert.subject, "organization_name")
    problem = ""
    if not status.intact:
        problem = "the signed bytes were changed"
    elif not status.valid:
        problem = "the signature value does not match"
    elif not status.trusted:
        problem = str(status.trust_problem_indic or "no path to a trust root")
    elif not later_ok:
        problem = f"the document was modified after signing ({level.name.lower() if level else 'unknown'})"
    result = dict(
        field_name=field_name, signer_common_name=common_name, signer_organization=organization,
        certificate_serial=format(cert.serial_number, "X"),
        issuer_common_name=_name_part(cert.issuer, "common_name"),
        test_certificate=pki.is_test_certificate(cert), signing_time=signing_time, timestamped=timestamped,
        intact=status.intact, valid=status.valid and status.intact, trusted=status.trusted,
        covers_whole_document=covers_all,
        modification_level=level.name.lower() if level is not None else "unknown", later_revisions_ok=later_ok,
        reason=reason, location=location, problem=problem,
    )
    summary, summary_vi = _summaries(result)
    return SignatureValidation(**result, summary=summary, summary_vi=summary_vi)


def _summaries(r: dict[str, Any]) -> tuple[str, str]:
    who = r["signer_common_name"] + (f" ({r['signer_organization']})" if r["signer_organization"] not in
                                     ("", r["signer_common_name"]) else "")
    when = r["signing_time"].isoformat(timespec="seconds") if r["signing_time"] else "?"
    when_note_en = "timestamped" if r["timestamped"] else "time claimed by the signer"
    when_note_vi = "có dấu thời gian" if r["timestamped"] else "thời gian do người ký khai"
    test_en = " TEST certificate, not valid for real use." if r["test_certificate"] else ""
    test_vi = " Chứng thư THỬ NGHIỆM, không có giá trị sử dụng thật." if r["test_certificate"] else ""
    if not (r["intact"] and r["valid"]):
        return (f"INVALID signature by {who}: the document was changed after it was signed.{test_en}",
                f"Chữ ký của {who} KHÔNG hợp lệ: tài liệu đã bị thay đổi sau khi ký.{test_vi}")
    if not r["later_revisions_ok"]:
        return (f"Signature by {who} is valid for its revision, but the document was modified afterwards.{test_en}",
                f"Chữ ký của {who} hợp lệ với phiên bản đã ký, nhưng tài liệu bị sửa đổi sau đó.{test_vi}")
    if not r["trusted"]:
        return (f"Signature by {who} is intact but its certificate is NOT trusted ({r['problem']}); signed {when} "
                f"({when_note_en}).{test_en}",
                f"Chữ ký của {who} còn nguyên vẹn nhưng chứng thư KHÔNG được tin cậy; ký lúc {when} "
                f"({when_note_vi}).{test_vi}")
    if r["covers_whole_document"]:
        since_en, since_vi = "the document is unchanged since", "tài liệu không bị thay đổi sau đó"
    else:
        since_en, since_vi = "later revisions only add signatures", "các phiên bản sau chỉ thêm chữ ký"
    return (f"Valid, trusted signature by {who}, signed {when} ({when_note_en}); {since_en}.{test_en}",
            f"Chữ ký hợp lệ, tin cậy của {who}, ký lúc {when} ({when_note_vi}); {since_vi}.{test_vi}")
