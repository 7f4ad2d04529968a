"""The OpenID Connect login against a real provider (npm `oidc-provider`, tests/oidc/provider.js) on loopback.

Django's test client plays our side; `requests` plays the citizen's browser at the provider (its login and consent
pages); the provider's answer is handed back to our callback as a browser would."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.test import Client

from motcua.audit.models import AuditEntry
from motcua.identity import services
from motcua.identity.models import IdentityMethod, User
from motcua.identity.oidc import NationalIdentityBackend

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/account/oidc/callback/"


def at_provider(authorize_url: str, login: str) -> str:
    """Go through the provider's login and consent pages as `login`; returns where it sends the browser back."""
    browser = requests.Session()
    url, method, data = authorize_url, "GET", None
    for _hop in range(20):
        response = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url, method, data = urljoin(url, response.headers["Location"]), "GET", None
            if url.startswith("http://testserver/"):
                return url
            continue
        assert response.status_code == 200, response.text
        action = urljoin(url, re.search(r'<form[^>]*action="([^"]+)"', response.text).group(1))
        prompt = re.search(r'name="prompt" value="(\w+)"', response.text).group(1)
        url, method = action, "POST"
        data = {"prompt": prompt, "login": login, "password": "any"} if prompt == "login" else {"prompt": prompt}
    raise AssertionError("the provider never sent the browser back")


def start(client: Client, next_url: str = "") -> str:
    response = client.get("/account/oidc/start/" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302
    return response["Location"]


def back(client: Client, url: str) -> Any:
    parts = urlsplit(url)
    return client.get(parts.path + "?" + parts.query)


def test_the_button_shows_only_when_a_provider_is_configured(client, settings, provider):
    assert "oidc-login" not in client.get("/account/login/").content.decode()
    assert client.get("/account/oidc/start/").status_code == 404
    assert client.get("/account/oidc/callback/?code=x&state=y").status_code == 404
    settings.MOTCUA_OIDC_ISSUER, settings.MOTCUA_OIDC_CLIENT_ID = provider.issuer, "motcua"
    page = client.get("/account/login/").content.decode()
    assert 'data-testid="oidc-login"' in page and "VNeID" in page


def test_the_authorization_request_carries_state_nonce_and_a_pkce_challenge(client, oidc_on):
    query = parse_qs(urlsplit(start(client)).query)
    assert urlsplit(start(client)).netloc == urlsplit(oidc_on.issuer).netloc
    assert query["response_type"] == ["code"] and query["client_id"] == ["motcua"]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["state"][0] in client.session["oidc_states"]


def test_an_existing_citizen_logs_in_and_is_verified_by_the_provider(client, oidc_on):
    from motcua.identity.tests.conftest import citizen_signup

    citizen = services.register_citizen(citizen_signup())
    User.objects.filter(pk=citizen.pk).update(identity_method=IdentityMethod.NONE, identity_verified_at=None)
    answer = at_provider(start(client, "/account/profile/"), "an")
    assert answer.startswith(CALLBACK) and "code=" in answer
    response = back(client, answer)
    assert response.status_code == 302 and response["Location"] == "/account/profile/"
    assert client.session[SESSION_KEY] == str(citizen.pk)
    citizen.refresh_from_db()
    assert citizen.identity_method == IdentityMethod.OIDC and citizen.identity_verified
    assert User.objects.count() == 1  # matched by the ID number claim, no second account
    page = client.get("/account/profile/").content.decode()
    assert 'data-testid="identity-status"' in page and "badge verified" in page
    assert AuditEntry.objects.filter(action="login", actor_id=citizen.pk).exists()


def test_a_first_login_makes_a_verified_citizen_account(client, oidc_on):
    response = back(client, at_provider(start(client), "dung"))
    assert response.status_code == 302
    user = User.objects.get(national_id="001302000123")
    assert (user.full_name, str(user.birth_date), user.sex, user.email) == (
        "Phạm Thị Dung", "2002-07-20", "female", "dung.pham@example.vn")
    assert user.kind == "citizen" and user.identity_method == IdentityMethod.OIDC
    assert not user.has_usable_password()
    assert client.session[SESSION_KEY] == str(user.pk)
    # The API shows it too.
    me = client.get("/api/v1/me", headers={"Authorization": "Bearer " + services.issue_token(user)[0]}).json()
    assert me["identity_verified"] is True and me["identity_method"] == "oidc"


def test_logout_ends_the_session_here_and_at_the_provider(client, oidc_on):
    back(client, at_provider(start(client), "dung"))
    id_token = client.session["oidc_id_token"]
    response = client.post("/account/logout/")
    assert SESSION_KEY not in client.session
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == oidc_on.issuer + "/session/end"
    query = parse_qs(location.query)
    assert query["id_token_hint"] == [id_token] and query["post_logout_redirect_uri"] == ["http://testserver/"]
    # The provider accepts it (its sign-out confirmation page).
    assert requests.get(response["Location"], timeout=10).status_code == 200


def assert_refused(response: Any, status: int, words: str) -> None:
    assert response.status_code == status
    assert words in response.content.decode()
    assert SESSION_KEY not in response.wsgi_request.session


def test_a_state_that_was_not_issued_here_is_refused_and_nothing_is_created(client, oidc_on):
    answer = at_provider(start(client), "dung")
    forged = re.sub(r"state=[^&]+", "state=forged-state-0123456789abcdef0123456789", answer)
    assert_refused(back(client, forged), 400, "state mismatch")
    assert not User.objects.exists()
    # The genuine answer still cannot be replayed by another browser session.
    assert_refused(back(Client(headers={"Accept-Language": "en"}), answer), 400, "state mismatch")


def test_a_nonce_mismatch_is_refused_and_nothing_is_created(client, oidc_on):
    url = start(client)
    session = client.session
    state = parse_qs(urlsplit(url).query)["state"][0]
    session["oidc_states"][state]["nonce"] = "not-the-nonce-sent"
    session.save()
    assert_refused(back(client, at_provider(url, "dung")), 400, "nonce")
    assert not User.objects.exists()


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "an"  # someone else, under the provider's signature of the original
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_an_id_token_with_a_bad_signature_is_refused_and_nothing_is_created(client, oidc_on, monkeypatch):
    real_get_token = NationalIdentityBackend.get_token

    def get_token(self: NationalIdentityBackend, payload: dict[str, Any]) -> dict[str, Any]:
        answer = real_get_token(self, payload)
        return {**answer, "id_token": _tampered(answer["id_token"])}

    monkeypatch.setattr(NationalIdentityBackend, "get_token", get_token)
    assert_refused(back(client, at_provider(start(client), "dung")), 400, "ID token signature")
    assert not User.objects.exists()


def test_an_id_token_for_another_client_is_refused(client, oidc_on, settings):
    url = start(client)
    settings.OIDC_RP_CLIENT_ID = "another-client"  # the audience check: the token is for `motcua`
    settings.MOTCUA_OIDC_CLIENT_ID = "another-client"
    response = back(client, at_provider(url, "dung"))
    assert response.status_code in (400, 502)  # the provider refuses the code for another client, or we the token
    assert not User.objects.exists()


def test_an_identity_without_an_id_number_is_refused(client, oidc_on):
    assert_refused(back(client, at_provider(start(client), "nocccd")), 403, "citizen identity number")
    assert not User.objects.exists()


def test_a_provider_that_cannot_be_reached_is_said_so(client, settings):
    settings.MOTCUA_OIDC_ISSUER, settings.MOTCUA_OIDC_CLIENT_ID = "http://127.0.0.1:9", "motcua"
    response = client.get("/account/oidc/start/", headers={"Accept-Language": "en"})
    assert response.status_code == 502
    assert "cannot be reached" in response.content.decode()
