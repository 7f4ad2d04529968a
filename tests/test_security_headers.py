"""Web security: the headers every answer carries, secure cookies behind TLS, login rate limit per address."""

from __future__ import annotations

import pytest
from django.test import Client

from motcua.identity.models import User

PAGES = ["/", "/api/v1/procedures", "/verify/", "/account/login/", "/api/v1/docs"]


@pytest.mark.parametrize("path", PAGES)
def test_every_answer_carries_the_security_headers(demo, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200, path
    csp = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";") if part.strip())
    assert csp["default-src"] == "'self'" and csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_pages_use_no_inline_script_or_style(demo) -> None:
    """What the policy would block: inline <script> code, style attributes and <style> blocks on the main pages."""
    for path in ["/", "/account/login/", "/verify/", "/procedures/1.013133/"]:
        html = Client().get(path).content.decode()
        assert "<style" not in html and 'style="' not in html, path
        for chunk in html.split("<script")[1:]:
            head = chunk.split(">", 1)[0]
            assert "src=" in head or 'type="application/json"' in head, (path, head)


def test_secure_cookies_when_configured(demo, settings) -> None:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    response = Client().post("/account/login/", {"identifier": "citizen.demo", "password": "motcua-demo"})
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] and response.cookies["sessionid"]["httponly"]
    assert response.cookies["sessionid"]["samesite"] == "Lax"


def test_login_attempts_are_limited_per_address(demo, settings) -> None:
    settings.LOGIN_RATE = (3, 60)
    client = Client(REMOTE_ADDR="10.1.1.1")
    for n in range(3):
        answer = client.post("/api/v1/auth/token", {"username": f"nobody{n}", "password": "x"},
                             content_type="application/json")
        assert answer.status_code == 401
    answer = client.post("/api/v1/auth/token", {"username": "citizen.demo", "password": "motcua-demo"},
                         content_type="application/json")
    assert answer.status_code == 429 and answer.json()["error"] == "rate_limited"
    # Another address is not affected, and the throttle did not count against the account.
    other = Client(REMOTE_ADDR="10.2.2.2").post("/api/v1/auth/token", {"username": "citizen.demo",
                                                 "password": "motcua-demo"}, content_type="application/json")
    assert other.status_code == 200
    assert User.objects.get(username="citizen.demo").failed_logins == 0
