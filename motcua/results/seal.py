"""QR seals: a compact signed payload printed on every result and slip, verifiable offline with the published keys.

The QR code holds a compact JWS (RFC 7515, ES256 over P-256, header `{"alg":"ES256","kid":…}`) whose payload is a
small JSON object with short keys, so the code stays readable when printed 36 mm wide:

    v  format version (1)            t  "r" result, "s" slip          c  result code (slips: dossier code)
    k  slip kind (slips only)        i  issuer agency code            n  issuer name
    d  issue date (YYYY-MM-DD)       e  valid until (results with a time limit)
    h  holder name                   s  SHA-256 (hex) of the rendered document   l  its length in bytes

A PDF cannot hold its own hash, so `s` covers the rendered document as it was before the seal and the signatures were
appended to it as incremental updates: the first `l` bytes of the final file. Anyone holding the file can check it
(`sha256(file[:l]) == s`); the PAdES signatures then vouch for everything appended after.

The keys: a P-256 key pair under `<MOTCUA_PKI_DIR>/qr/`, made on first use (`current.pem`); `rotate_key()` retires it
(its public half stays published, so older seals still verify) and makes a new one. The public keys are published as a
JWKS at `/.well-known/jwks.json`. The QR key is separate from the PAdES keys on purpose: those may live on a PKCS#11
token and be RSA, while the seal needs ES256 and is applied to every slip on demand.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import jwt
import segno
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from motcua.core.errors import FieldError, ValidationFailed

ALGORITHM = "ES256"


class InvalidSeal(ValidationFailed):
    """The QR text is not a seal of ours: malformed, signed by an unknown key, or tampered with."""

    def __init__(self, rule: str, message: Any) -> None:
        super().__init__(_("The QR seal is not valid."), [FieldError("qr", rule, message)])


@dataclass(frozen=True)
class Sealed:
    pdf: bytes
    token: str
    content_sha256: str
    content_length: int


# --- keys ---------------------------------------------------------------------------------------------------------

def key_dir() -> Path:
    base = getattr(settings, "MOTCUA_PKI_DIR", None) or Path(settings.DATA_DIR) / "pki"
    return Path(base) / "qr"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    jwk = {"crv": "P-256", "kty": "EC", "x": _b64(numbers.x.to_bytes(32, "big")),
           "y": _b64(numbers.y.to_bytes(32, "big"))}
    # RFC 7638 thumbprint (members in lexicographic order, no spaces), shortened: it only has to tell keys apart.
    thumbprint = _b64(hashlib.sha256(json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()).digest())
    return {**jwk, "kid": thumbprint[:16], "use": "sig", "alg": ALGORITHM}


def _write_new_key(path: Path) -> None:
    """Create `path` holding a new private key, unless another process made it first (link() refuses to replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)


_cache: dict[str, Any] = {}


def signing_key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    """The current private key and its kid (made on first use; cached per process until the file changes)."""
    path = key_dir() / "current.pem"
    if not path.exists():
        _write_new_key(path)
    stamp = (str(path), path.stat().st_mtime_ns)
    if _cache.get("stamp") != stamp:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"{path} must hold a P-256 key")
        _cache.update(stamp=stamp, key=key, kid=public_jwk(key.public_key())["kid"])
    return _cache["key"], _cache["kid"]


def rotate_key() -> str:
    """Retire the current key (its public half stays published) and make a new one; returns the new kid."""
    key, kid = signing_key()
    directory = key_dir()
    retired = directory / "retired"
    retired.mkdir(exist_ok=True)
    (retired / f"{kid}.pub.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    (directory / "current.pem").rename(retired / f"{kid}.key.old")
    os.chmod(retired / f"{kid}.key.old", 0o600)
    _cache.clear()
    return signing_key()[1]


def public_keys() -> dict[str, ec.EllipticCurvePublicKey]:
    """kid -> public key, for every key a seal may have been made with (current and retired)."""
    key, kid = signing_key()
    keys = {kid: key.public_key()}
    for path in sorted((key_dir() / "retired").glob("*.pub.pem")):
        public = serialization.load_pem_public_key(path.read_bytes())
        if isinstance(public, ec.EllipticCurvePublicKey):
            keys[public_jwk(public)["kid"]] = public
    return keys


def jwks() -> dict[str, Any]:
    return {"keys": [public_jwk(public) for public in public_keys().values()]}


# --- tokens -------------------------------------------------------------------------------------------------------

def make_token(claims: dict[str, Any]) -> str:
    key, kid = signing_key()
    payload = json.dumps({k: v for k, v in claims.items() if v not in (None, "")}, ensure_ascii=False,
                         separators=(",", ":")).encode()
    return jwt.api_jws.PyJWS().encode(payload, key, algorithm=ALGORITHM, headers={"kid": kid, "typ": None})


def read_token(token: str) -> dict[str, Any]:
    """The claims of a seal made with one of our keys; InvalidSeal otherwise."""
    token = (token or "").strip()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise InvalidSeal("format", _("This is not a seal: the text is not a signed payload.")) from error
    public = public_keys().get(str(header.get("kid", "")))
    if public is None or header.get("alg") != ALGORITHM:
        raise InvalidSeal("key", _("The seal was not made with a published key of this system."))
    try:
        payload = jwt.api_jws.PyJWS().decode(token, public, algorithms=[ALGORITHM])
        claims = json.loads(payload)
    except (jwt.InvalidTokenError, ValueError) as error:
        raise InvalidSeal("signature", _("The seal's signature does not match its content.")) from error
    if not isinstance(claims, dict) or claims.get("v") != 1:
        raise InvalidSeal("format", _("The seal's content is not in a known format."))
    return claims


def content_matches(pdf: bytes, claims: dict[str, Any]) -> bool:
    """Whether `pdf` begins with the document the seal describes (claims `s` and `l`)."""
    length = claims.get("l")
    return (isinstance(length, int) and 0 < length <= len(pdf)
            and hashlib.sha256(pdf[:length]).hexdigest() == claims.get("s"))


# --- stamping -----------------------------------------------------------------------------------------------------

def _qr_operators(text: str, box: tuple[float, float, float, float]) -> bytes:
    """PDF drawing operators for `text` as a QR code filling `box` (x0, y0, x1, y1 in points), with a white ground
    and the four-module quiet zone scanners need."""
    x0, y0, x1, y1 = box
    matrix = segno.make(text, error="m", micro=False).matrix
    size = len(matrix)
    module = min(x1 - x0, y1 - y0) / (size + 8)
    ops = [f"q 1 g {x0:.2f} {y0:.2f} {x1 - x0:.2f} {y1 - y0:.2f} re f".encode()]
    # One unit = one module; row 0 at the top.
    ops.append(f"{module:.4f} 0 0 {module:.4f} {x0 + 4 * module:.3f} {y1 - (size + 4) * module:.3f} cm 0 g".encode())
    for r, row in enumerate(matrix):
        y = size - 1 - r
        c = 0
        while c < size:
            if row[c]:
                start = c
                while c < size and row[c]:
                    c += 1
                ops.append(f"{start} {y} {c - start} 1 re".encode())
            else:
                c += 1
    ops.append(b"f Q")
    return b"\n".join(ops)


def stamp_qr(pdf: bytes, text: str, box: tuple[float, float, float, float]) -> bytes:
    """`pdf` with `text` drawn as a QR code in `box` on page 1, appended as an incremental update (the original bytes
    stay an exact prefix of the result)."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    # Wrap the page's existing content in q/Q so whatever graphics state it leaves does not move the QR code.
    save = writer.add_object(generic.StreamObject(stream_data=b"q"))
    writer.add_stream_to_page(0, save, prepend=True)
    stamp = writer.add_object(generic.StreamObject(stream_data=b"Q\n" + _qr_operators(text, box)))
    writer.add_stream_to_page(0, stamp)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def seal_pdf(pdf: bytes, claims: dict[str, Any], box: tuple[float, float, float, float]) -> Sealed:
    """Hash the rendered document, sign the claims with it, and stamp the seal on page 1."""
    digest = hashlib.sha256(pdf).hexdigest()
    token = make_token({"v": 1, **claims, "s": digest, "l": len(pdf)})
    return Sealed(pdf=stamp_qr(pdf, token, box), token=token, content_sha256=digest, content_length=len(pdf))
