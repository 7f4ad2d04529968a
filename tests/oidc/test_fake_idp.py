"""The stand-in national identity provider of `make run` (motcua.identity.fake_idp): motcua's whole OpenID Connect
login against it, its refusals, and the `fake_identity_provider` command."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import jwt
import pytest
import requests
from django.contrib.auth import SESSION_KEY

from motcua.identity.fake_idp import FakeIdentityProvider
from motcua.identity.models import IdentityMethod, User
from motcua.identity.oidc import origin

from .provider import CLIENT_ID, CLIENT_SECRET, Provider, _free_port
from .test_code_flow import CALLBACK, back, start


@pytest.fixture(scope="module")
def stand_in() -> Iterator[FakeIdentityProvider]:
    provider = FakeIdentityProvider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uris=[CALLBACK])
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def stand_in_on(stand_in: FakeIdentityProvider, settings: Any, client: Any) -> FakeIdentityProvider:
    """motcua's logins go through the stand-in (as `make run` sets it up)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    for name, value in Provider(stand_in.issuer).settings().items():
        setattr(settings, name, value)
    return stand_in


def choose(authorize_url: str, citizen: str) -> str:
    """The citizen's browser at the stand-in: its page, then the button of `citizen` (an ID number); returns where
    the stand-in sends the browser back."""
    browser = requests.Session()
    page = browser.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.text
    assert "Cổng định danh quốc gia (mô phỏng)" in page.text and "National identity provider (stand-in)" in page.text
    # Browsers apply form-action to the form's redirect: the client's callback must be allowed.
    assert f"form-action 'self' {origin(CALLBACK)};" in page.headers["Content-Security-Policy"]
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page.text, re.S)
    fields = {unescape(name): unescape(value)
              for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2))}
    assert f'name="citizen" value="{citizen}"' in form.group(2)
    answer = browser.post(urljoin(authorize_url, form.group(1)), data={**fields, "citizen": citizen},
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    return answer.headers["Location"]


@pytest.mark.django_db
def test_a_citizen_logs_in_through_the_stand_in_and_out_again(client, stand_in_on):
    answer = choose(start(client, "/account/profile/"), "001198054321")
    assert answer.startswith(CALLBACK) and "code=" in answer
    response = back(client, answer)
    assert response.status_code == 302 and response["Location"] == "/account/profile/"
    user = User.objects.get(national_id="001198054321")
    assert (user.full_name, str(user.birth_date), user.kind) == ("Trần Thị Bình", "1998-11-02", "citizen")
    assert user.identity_method == IdentityMethod.OIDC and user.identity_verified
    assert client.session[SESSION_KEY] == str(user.pk)
    # Logout ends the session at the stand-in too, which sends the browser back here.
    logout = client.post("/account/logout/")
    assert SESSION_KEY not in client.session
    assert logout["Location"].startswith(stand_in_on.issuer + "/session/end?")
    back_home = requests.get(logout["Location"], allow_redirects=False, timeout=10)
    assert back_home.status_code == 302 and back_home.headers["Location"] == "http://testserver/"


def test_the_id_token_is_signed_for_the_client_with_the_claims_motcua_maps(stand_in):
    verifier = secrets.token_urlsafe(48)
    code = _code(stand_in, verifier, nonce="n-0123456789")
    tokens = _token(stand_in, code, verifier, basic=True)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    key = jwt.PyJWKClient(stand_in.issuer + "/jwks").get_signing_key_from_jwt(body["id_token"])
    claims = jwt.decode(body["id_token"], key, algorithms=["RS256"], audience=CLIENT_ID, issuer=stand_in.issuer)
    assert (claims["cccd"], claims["name"], claims["birthdate"], claims["nonce"]) == (
        "079185004321", "Lê Thị Cúc", "1985-12-01", "n-0123456789")
    assert claims["exp"] > claims["iat"] and claims["sub"]
    userinfo = requests.get(stand_in.issuer + "/userinfo", timeout=10,
                            headers={"Authorization": "Bearer " + body["access_token"]})
    assert userinfo.json() == {key: claims[key] for key in ("sub", "cccd", "name", "birthdate")}
    assert requests.get(stand_in.issuer + "/userinfo", timeout=10,
                        headers={"Authorization": "Bearer forged"}).status_code == 401


def test_a_redirect_uri_that_is_not_registered_gets_a_page_not_a_redirect(stand_in):
    response = requests.get(_authorize_url(stand_in, "x" * 43, redirect_uri="http://evil.example/cb"),
                            allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "redirect_uri is not registered" in response.text
    assert "Location" not in response.headers


def test_a_request_without_pkce_goes_back_with_an_error(stand_in):
    url = _authorize_url(stand_in, "").replace("code_challenge_method=S256", "code_challenge_method=plain")
    response = requests.get(url, allow_redirects=False, timeout=10)
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["invalid_request"] and query["state"] == ["st-1"]


def test_a_code_is_used_once(stand_in):
    verifier = secrets.token_urlsafe(48)
    code = _code(stand_in, verifier)
    assert _token(stand_in, code, verifier).status_code == 200
    again = _token(stand_in, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_an_expired_code_is_refused(stand_in, monkeypatch):
    monkeypatch.setattr("motcua.identity.fake_idp.CODE_TTL_SECONDS", -1)
    verifier = secrets.token_urlsafe(48)
    late = _token(stand_in, _code(stand_in, verifier), verifier)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


def test_a_bad_pkce_verifier_is_refused_and_spends_the_code(stand_in):
    verifier = secrets.token_urlsafe(48)
    code = _code(stand_in, verifier)
    wrong = _token(stand_in, code, secrets.token_urlsafe(48))
    assert wrong.status_code == 400 and "code_verifier" in wrong.json()["error_description"]
    assert _token(stand_in, code, verifier).status_code == 400


def test_a_wrong_client_secret_is_refused(stand_in):
    verifier = secrets.token_urlsafe(48)
    code = _code(stand_in, verifier)
    response = requests.post(stand_in.issuer + "/token", timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier,
        "client_id": CLIENT_ID, "client_secret": "not-the-secret"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_the_command_answers_discovery():
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "motcua.settings"}
    server = subprocess.Popen([sys.executable, "manage.py", "fake_identity_provider", "--port", str(port),
                               "--client-id", "demo-client"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    issuer = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                document = requests.get(issuer + "/.well-known/openid-configuration", timeout=1).json()
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert document["issuer"] == issuer and document["token_endpoint"] == issuer + "/token"
        assert document["code_challenge_methods_supported"] == ["S256"]
        assert requests.get(document["jwks_uri"], timeout=5).json()["keys"][0]["kty"] == "RSA"
        # The default redirect URI is `make run`'s callback; another client is refused.
        page = requests.get(issuer + "/authorize?" + urlencode({
            "client_id": "demo-client", "redirect_uri": "http://127.0.0.1:8000/account/oidc/callback/",
            "response_type": "code", "scope": "openid", "code_challenge_method": "S256",
            "code_challenge": "x" * 43}), timeout=5)
        assert page.status_code == 200 and "Nguyễn Văn An" in page.text
        assert requests.get(issuer + "/authorize?client_id=motcua", timeout=5).status_code == 400
    finally:
        server.terminate()
        server.wait(timeout=10)


def _authorize_url(provider: FakeIdentityProvider, challenge: str, redirect_uri: str = CALLBACK) -> str:
    return provider.issuer + "/authorize?" + urlencode({
        "client_id": CLIENT_ID, "redirect_uri": redirect_uri, "response_type": "code", "scope": "openid profile",
        "state": "st-1", "nonce": "n-0123456789", "code_challenge": challenge, "code_challenge_method": "S256"})


def _code(provider: FakeIdentityProvider, verifier: str, nonce: str = "n-0123456789") -> str:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    answer = choose(_authorize_url(provider, challenge).replace("n-0123456789", nonce), "079185004321")
    query = parse_qs(urlsplit(answer).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def _token(provider: FakeIdentityProvider, code: str, verifier: str, basic: bool = False) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier}
    if basic:
        return requests.post(provider.issuer + "/token", data=data, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
    return requests.post(provider.issuer + "/token", data={**data, "client_id": CLIENT_ID,
                                                           "client_secret": CLIENT_SECRET}, timeout=10)


def test_the_issuer_make_run_exports_is_allowed_as_a_form_action():
    """scripts/serve.sh exports MOTCUA_OIDC_ISSUER for the web server: settings add its origin to form-action (the
    logout form redirects there)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "motcua.settings", "MOTCUA_OIDC_ISSUER": "http://127.0.0.1:8098",
           "MOTCUA_OIDC_CLIENT_ID": "motcua"}
    code = "from django.conf import settings; print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[\"'self'\", 'http://127.0.0.1:8098']"
