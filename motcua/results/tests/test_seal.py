"""QR seals: signed claims, drawn on page 1 as an incremental update, read back by independent decoders."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import jwt
import pytest
import weasyprint
import zxingcpp
from PIL import Image

from motcua.results import seal

CLAIMS = {"t": "r", "c": "000.05.12.H26-261123-0001-KQ1", "i": "000.05.12.H26",
          "n": "Ban Chỉ huy quân sự xã Tân Phú", "d": "2026-11-23", "h": "Nguyễn Văn An"}
BOX = (40.0, 40.0, 142.0, 142.0)


@pytest.fixture(autouse=True)
def pki_dir(tmp_path, settings):
    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    seal._cache.clear()
    return settings.MOTCUA_PKI_DIR


@pytest.fixture(scope="module")
def document() -> bytes:
    return weasyprint.HTML(string="<h1>Giấy chứng nhận đăng ký nghĩa vụ quân sự</h1><p>Nguyễn Văn An</p>").write_pdf()


def page_image(pdf: bytes, tmp_path: Path, dpi: int = 150) -> Path:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(tmp_path / "page")], check=True)
    return tmp_path / "page.png"


def test_the_seal_is_drawn_on_page_one_and_read_back_by_two_independent_decoders(document, tmp_path):
    sealed = seal.seal_pdf(document, CLAIMS, BOX)
    assert sealed.pdf.startswith(document), "the rendered document stays an exact prefix"
    image = page_image(sealed.pdf, tmp_path)
    (decoded,) = zxingcpp.read_barcodes(Image.open(image))
    assert decoded.format == zxingcpp.BarcodeFormat.QRCode
    assert decoded.text == sealed.token
    zbar = subprocess.run(["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True, check=True)
    assert zbar.stdout.strip() == sealed.token


def test_the_claims_verify_with_the_published_keys_only(document):
    sealed = seal.seal_pdf(document, CLAIMS, BOX)
    claims = seal.read_token(sealed.token)
    assert claims == {"v": 1, **CLAIMS, "s": sealed.content_sha256, "l": len(document)}
    assert seal.content_matches(sealed.pdf, claims)
    # An independent verifier: PyJWT's own JWK handling of the published set, by kid.
    header = jwt.get_unverified_header(sealed.token)
    assert header == {"alg": "ES256", "kid": header["kid"]}
    (published,) = [k for k in seal.jwks()["keys"] if k["kid"] == header["kid"]]
    key = jwt.PyJWK.from_dict(published)
    payload = jwt.api_jws.PyJWS().decode(sealed.token, key.key, algorithms=["ES256"])
    assert json.loads(payload)["c"] == CLAIMS["c"]


def test_a_changed_document_no_longer_matches_its_seal(document):
    sealed = seal.seal_pdf(document, CLAIMS, BOX)
    claims = seal.read_token(sealed.token)
    changed = bytearray(sealed.pdf)
    changed[len(document) // 2] ^= 0x01
    assert not seal.content_matches(bytes(changed), claims)
    assert not seal.content_matches(sealed.pdf[: len(document) - 1], claims)


@pytest.mark.parametrize("mangle, rule", [
    (lambda t: t.split(".")[0] + "." + jwt.utils.base64url_encode(b'{"v":1,"c":"FORGED"}').decode()
     + "." + t.split(".")[2], "signature"),
    (lambda t: "not a seal", "format"),
    (lambda t: "", "format"),
])
def test_a_tampered_or_foreign_seal_is_refused_naming_the_field(document, mangle, rule):
    token = seal.make_token({"v": 1, **CLAIMS})
    with pytest.raises(seal.InvalidSeal) as raised:
        seal.read_token(mangle(token))
    assert raised.value.status == 422
    assert [(e.field, e.rule) for e in raised.value.errors] == [("qr", rule)]


def test_a_seal_made_with_another_key_is_refused(document, tmp_path, settings):
    foreign = seal.make_token({"v": 1, **CLAIMS})
    settings.MOTCUA_PKI_DIR = tmp_path / "other-installation"
    seal._cache.clear()
    with pytest.raises(seal.InvalidSeal) as raised:
        seal.read_token(foreign)
    assert raised.value.errors[0].rule == "key"


def test_after_rotation_old_seals_still_verify_and_new_ones_use_the_new_key():
    old = seal.make_token({"v": 1, **CLAIMS})
    old_kid = jwt.get_unverified_header(old)["kid"]
    new_kid = seal.rotate_key()
    assert new_kid != old_kid
    assert {k["kid"] for k in seal.jwks()["keys"]} == {old_kid, new_kid}
    assert seal.read_token(old)["c"] == CLAIMS["c"]
    assert jwt.get_unverified_header(seal.make_token({"v": 1})).get("kid") == new_kid


def test_processes_starting_together_agree_on_one_key(pki_dir):
    kids: list[str] = []

    def first_use() -> None:
        kids.append(seal.signing_key()[1])

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(kids)) == 1
    assert [p.name for p in (pki_dir / "qr").iterdir() if not p.name.startswith(".")] == ["current.pem"]
    assert oct((pki_dir / "qr" / "current.pem").stat().st_mode & 0o777) == "0o600"


def test_the_jwks_endpoint_is_public_and_cacheable(client):
    seal.make_token({"v": 1})
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    (key,) = response.json()["keys"]
    assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256" and "d" not in key
