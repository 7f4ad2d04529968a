"""A local stand-in for the national identity provider (VNeID), so `make run` logs citizens in with OpenID Connect
without the real provider. Demo only: anyone can sign in as any demo citizen.

`manage.py fake_identity_provider --port N` serves it; tests start `FakeIdentityProvider(...)` in a thread.

- `GET /.well-known/openid-configuration`: discovery; `GET /jwks`: the public half of an RSA key made at start (kid).
- `GET /authorize`: the authorization code flow. An unknown client_id or redirect_uri gets a 400 page (never a
  redirect); a request that is not `response_type=code` with a PKCE S256 challenge goes back to the client with an
  OAuth error. Otherwise a page lists the demo citizens (the population registry's CSV) to choose whom to sign in
  as; `POST /authorize` makes a single-use code (kept with the state's nonce and the PKCE challenge) and redirects.
- `POST /token`: client authentication (HTTP basic or client_secret_post), the code (once, within its lifetime, for
  the same client and redirect_uri) and the PKCE verifier; answers an RS256 ID token (iss, aud, sub, nonce, iat,
  exp, and the claims motcua maps: cccd, name, birthdate) and an access token for `/userinfo`.
- `GET /userinfo`: the same claims for a bearer access token.
- `GET /session/end`: RP-initiated logout: back to `post_logout_redirect_uri` when it is on a registered origin.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from motcua.core.standin import StandInServer

from .oidc import origin
from .registry import DEMO_CSV, Record, records

CODE_TTL_SECONDS = 120
TOKEN_TTL_SECONDS = 600
DEFAULT_CLIENT_ID = "motcua"
DEFAULT_CLIENT_SECRET = "motcua-demo-secret"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_uint(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class AuthorizeError(Exception):
    """A bad authorization request. `redirect` says whether it may be reported to the client's redirect_uri (its
    client and redirect_uri are known), else the browser gets a page."""

    def __init__(self, error: str, description: str, redirect: bool) -> None:
        super().__init__(description)
        self.error, self.description, self.redirect = error, description, redirect


class TokenError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@dataclass(frozen=True)
class Grant:
    """What an authorization code stands for."""

    client_id: str
    redirect_uri: str
    citizen: Record
    nonce: str
    challenge: str
    expires: float


class FakeIdentityProvider(StandInServer):
    """The provider: an HTTP server on (host, port); `issuer` defaults to its own URL."""

    thread_name = "fake-identity-provider"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, issuer: str = "",
                 client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET,
                 redirect_uris: list[str] | None = None, citizens: Path = DEMO_CSV) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.redirect_uris = list(redirect_uris or [])
        self.citizens = {record.id_number: record for record in records(citizens)}
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self._key.public_key().public_numbers()
        self.jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "n": _b64url_uint(numbers.n),
                    "e": _b64url_uint(numbers.e)}
        # The RFC 7638 thumbprint as the key id.
        thumbprint = json.dumps({k: self.jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
        self.jwk["kid"] = _b64url(hashlib.sha256(thumbprint.encode()).digest())
        self._codes: dict[str, Grant] = {}
        self._tokens: dict[str, tuple[Record, float]] = {}
        self._lock = threading.Lock()
        self._listen(host, port, _handler_for(self))
        self.issuer = (issuer or self.origin).rstrip("/")

    # --- documents ---

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/session/end",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile"],
            "claims_supported": ["sub", "cccd", "name", "birthdate"],
        }

    def claims(self, citizen: Record) -> dict[str, Any]:
        return {"sub": f"demo-{citizen.id_number}", "cccd": citizen.id_number, "name": citizen.full_name,
                "birthdate": citizen.birth_date.isoformat()}

    # --- the flow ---

    def check_authorization(self, params: dict[str, str]) -> None:
        """Raises AuthorizeError unless `params` are a code-flow request with PKCE S256 from the known client."""
        if params.get("client_id") != self.client_id:
            raise AuthorizeError("invalid_client", "Unknown client_id.", redirect=False)
        if params.get("redirect_uri") not in self.redirect_uris:
            raise AuthorizeError("invalid_request", "This redirect_uri is not registered for the client.",
                                 redirect=False)
        if params.get("response_type") != "code":
            raise AuthorizeError("unsupported_response_type", "Only response_type=code is supported.", redirect=True)
        if "openid" not in params.get("scope", "").split():
            raise AuthorizeError("invalid_scope", "The scope must include openid.", redirect=True)
        if params.get("code_challenge_method") != "S256" or len(params.get("code_challenge", "")) != 43:
            raise AuthorizeError("invalid_request", "A PKCE S256 code_challenge is required.", redirect=True)

    def issue_code(self, params: dict[str, str], citizen_id: str) -> str:
        """A single-use code for `citizen_id` after check_authorization(params)."""
        citizen = self.citizens.get(citizen_id)
        if citizen is None:
            raise AuthorizeError("access_denied", "Unknown demo citizen.", redirect=True)
        code = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            # Forget what expired, so a long demo does not grow without bound.
            self._codes = {key: grant for key, grant in self._codes.items() if grant.expires > now}
            self._tokens = {key: entry for key, entry in self._tokens.items() if entry[1] > now}
            self._codes[code] = Grant(params["client_id"], params["redirect_uri"], citizen, params.get("nonce", ""),
                                      params["code_challenge"], now + CODE_TTL_SECONDS)
        return code

    def client_authenticated(self, authorization: str, form: dict[str, str]) -> str:
        """The authenticated client id (HTTP basic, else client_secret_post); TokenError otherwise."""
        if authorization.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
            except ValueError as exc:
                raise TokenError("invalid_client", "Malformed basic authorization.", 401) from exc
            client_id, secret = unquote_plus(user), unquote_plus(password)  # RFC 6749 2.3.1: form-urlencoded first
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if client_id != self.client_id or not secrets.compare_digest(secret, self.client_secret):
            raise TokenError("invalid_client", "Client authentication failed.", 401)
        return client_id

    def exchange(self, client_id: str, form: dict[str, str]) -> dict[str, Any]:
        """The token answer for an authorization code; TokenError otherwise. A code is consumed by its first use,
        successful or not."""
        if form.get("grant_type") != "authorization_code":
            raise TokenError("unsupported_grant_type", "Only authorization_code is supported.")
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if grant is None or grant.expires < time.time():
            raise TokenError("invalid_grant", "The code is unknown, expired or already used.")
        if grant.client_id != client_id or grant.redirect_uri != form.get("redirect_uri"):
            raise TokenError("invalid_grant", "The code was issued to another client or redirect_uri.")
        verifier = form.get("code_verifier", "")
        if _b64url(hashlib.sha256(verifier.encode()).digest()) != grant.challenge:
            raise TokenError("invalid_grant", "The PKCE code_verifier does not match the code_challenge.")
        now = int(time.time())
        payload = {**self.claims(grant.citizen), "iss": self.issuer, "aud": client_id, "iat": now,
                   "exp": now + TOKEN_TTL_SECONDS, "auth_time": now}
        if grant.nonce:
            payload["nonce"] = grant.nonce
        id_token = jwt.encode(payload, self._key, algorithm="RS256", headers={"kid": self.jwk["kid"]})
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[access_token] = (grant.citizen, time.time() + TOKEN_TTL_SECONDS)
        return {"access_token": access_token, "token_type": "Bearer", "expires_in": TOKEN_TTL_SECONDS,
                "id_token": id_token, "scope": "openid profile"}

    def userinfo(self, authorization: str) -> dict[str, Any] | None:
        if not authorization.startswith("Bearer "):
            return None
        with self._lock:
            entry = self._tokens.get(authorization[7:])
        if entry is None or entry[1] < time.time():
            return None
        return self.claims(entry[0])

    def logout_target(self, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser after logout: only back to an origin of a registered redirect_uri."""
        if post_logout_redirect_uri and origin(post_logout_redirect_uri) in {origin(u) for u in self.redirect_uris}:
            return post_logout_redirect_uri
        return None


# --- pages (bilingual, written here in both languages, no external assets: not Django templates) ---

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1b1b1b;line-height:1.5}
header{background:#a31d24;color:#fff;padding:1rem 1.5rem}
header p{margin:.25rem 0 0}
main{max-width:40rem;margin:1.5rem auto;padding:0 1rem}
.en{color:#4a4a4a}
header .en{color:#fff}
.demo{background:#fff4ce;border:1px solid #8a6d00;padding:.75rem 1rem;border-radius:4px}
ul{list-style:none;padding:0}
li{margin:.5rem 0}
button{font:inherit;width:100%;text-align:left;padding:.75rem 1rem;border:1px solid #5a5a5a;border-radius:4px;
background:#fff;color:#1b1b1b;cursor:pointer}
button:hover{background:#eef2f7}
button:focus-visible{outline:3px solid #0b5cad;outline-offset:2px}
button.cancel{text-align:center;background:#e8e8e8}
.meta{display:block;color:#4a4a4a;font-size:.9rem}
fieldset{border:0;padding:0;margin:0}
legend h2{font-size:1.2rem}
"""


def page(title_vi: str, title_en: str, body: str) -> str:
    return (f'<!doctype html><html lang="vi"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title_vi)} / {html.escape(title_en)}</title><style>{STYLE}</style></head>"
            f'<body><header><h1>{html.escape(title_vi)} <span lang="en" class="en">/ {html.escape(title_en)}</span>'
            f"</h1></header><main>{body}</main></body></html>")


def choose_page(provider: FakeIdentityProvider, params: dict[str, str]) -> str:
    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in params.items())
    items = "".join(
        f'<li><button type="submit" name="citizen" value="{html.escape(c.id_number)}" data-testid="citizen">'
        f"<strong>{html.escape(c.full_name)}</strong>"
        f'<span class="meta">CCCD / <span lang="en">ID number</span>: {html.escape(c.id_number)} · '
        f'Ngày sinh / <span lang="en">born</span>: {c.birth_date.strftime("%d/%m/%Y")}</span></button></li>'
        for c in provider.citizens.values())
    body = (
        '<p class="demo" role="note"><strong>Môi trường thử nghiệm.</strong> Đây không phải là VNeID: ai cũng có thể '
        'đăng nhập thành bất kỳ công dân mẫu nào. <span lang="en" class="en"><strong>Demo environment.</strong> '
        "This is not VNeID: anyone may sign in as any demo citizen.</span></p>"
        f'<form method="post" action="/authorize">{hidden}'
        '<fieldset><legend><h2>Chọn công dân để đăng '
        'nhập <span lang="en" class="en">/ Choose the citizen to sign in as</span></h2></legend>'
        f"<ul>{items}</ul></fieldset>"
        '<button type="submit" name="cancel" value="1" class="cancel">Hủy <span lang="en" class="en">/ Cancel'
        "</span></button></form>")
    return page("Cổng định danh quốc gia (mô phỏng)", "National identity provider (stand-in)", body)


def message_page(text_vi: str, text_en: str) -> str:
    body = f'<p>{html.escape(text_vi)}</p><p lang="en" class="en">{html.escape(text_en)}</p>'
    return page("Cổng định danh quốc gia (mô phỏng)", "National identity provider (stand-in)", body)


def _handler_for(provider: FakeIdentityProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeIdentityProvider/1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass

        def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(body, ensure_ascii=False).encode(), "application/json; charset=utf-8",
                       headers)

        def _html(self, status: int, text: str) -> None:
            # Browsers apply form-action to the form's redirect too: back to the client's callback.
            targets = " ".join(sorted({origin(uri) for uri in provider.redirect_uris}))
            self._send(status, text.encode(), "text/html; charset=utf-8",
                       {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                   f"form-action 'self' {targets}; frame-ancestors 'none'",
                        "X-Frame-Options": "DENY"})

        def _redirect(self, url: str) -> None:
            self._send(302, b"", "text/plain", {"Location": url})

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode(), keep_blank_values=True).items()}

        def _authorize(self, params: dict[str, str], chosen: str | None, cancelled: bool) -> None:
            try:
                provider.check_authorization(params)
                if cancelled:
                    raise AuthorizeError("access_denied", "The citizen cancelled the sign-in.", redirect=True)
                if chosen is None:
                    return self._html(200, choose_page(provider, params))
                answer = {"code": provider.issue_code(params, chosen)}
            except AuthorizeError as exc:
                if not exc.redirect:
                    return self._html(400, message_page("Yêu cầu đăng nhập không hợp lệ.",
                                                        f"Invalid sign-in request: {exc.description}"))
                answer = {"error": exc.error, "error_description": exc.description}
            if params.get("state"):
                answer["state"] = params["state"]
            separator = "&" if "?" in params["redirect_uri"] else "?"
            self._redirect(params["redirect_uri"] + separator + urlencode(answer))

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            if parts.path == "/":
                return self._html(200, message_page(
                    "Nhà cung cấp định danh mô phỏng cho môi trường thử nghiệm; đăng nhập từ nút VNeID của motcua.",
                    "A demo stand-in identity provider; sign in from motcua's VNeID button."))
            if parts.path == "/.well-known/openid-configuration":
                return self._json(200, provider.discovery())
            if parts.path == "/jwks":
                return self._json(200, {"keys": [provider.jwk]})
            if parts.path == "/authorize":
                return self._authorize(query, None, False)
            if parts.path == "/userinfo":
                return self._userinfo()
            if parts.path == "/session/end":
                target = provider.logout_target(query.get("post_logout_redirect_uri", ""))
                if target:
                    return self._redirect(target)
                return self._html(200, message_page("Bạn đã đăng xuất.", "You are signed out."))
            self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            path = urlsplit(self.path).path
            form = self._form()
            if path == "/authorize":
                chosen = form.pop("citizen", None)
                cancelled = form.pop("cancel", None) is not None
                return self._authorize(form, chosen, cancelled)
            if path == "/token":
                try:
                    client_id = provider.client_authenticated(self.headers.get("Authorization", ""), form)
                    return self._json(200, provider.exchange(client_id, form), {"Pragma": "no-cache"})
                except TokenError as exc:
                    headers = {"WWW-Authenticate": 'Basic realm="token"'} if exc.status == 401 else None
                    return self._json(exc.status, {"error": exc.error, "error_description": exc.description},
                                      headers)
            if path == "/userinfo":
                return self._userinfo()
            self._json(404, {"error": "not_found"})

        def _userinfo(self) -> None:
            claims = provider.userinfo(self.headers.get("Authorization", ""))
            if claims is None:
                return self._json(401, {"error": "invalid_token"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            self._json(200, claims)

    return Handler
