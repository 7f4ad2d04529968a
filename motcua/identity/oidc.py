"""Login through the national identity provider (VNeID) with OpenID Connect, on mozilla-django-oidc.

Authorization code flow with PKCE (S256), state and nonce. The provider's endpoints come from its discovery document
(`{MOTCUA_OIDC_ISSUER}/.well-known/openid-configuration`, cached an hour). The ID token is checked for its signature
(the provider's JWKS), issuer, audience, expiry and nonce; the claims (ID token, then the userinfo answer) go to
`services.login_national_identity`, which finds or makes the citizen account and marks it verified.
Off (no button, 404 on the URLs) unless MOTCUA_OIDC_ISSUER and MOTCUA_OIDC_CLIENT_ID are set.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from . import services
from .models import User

DISCOVERY_TTL_SECONDS = 3600
# mozilla-django-oidc's endpoint settings and the discovery fields that give them.
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


class ProviderUnavailable(Exception):
    """The provider's discovery document cannot be read (down, or not an OpenID provider for this issuer)."""


def enabled() -> bool:
    return bool(settings.MOTCUA_OIDC_ISSUER and settings.MOTCUA_OIDC_CLIENT_ID)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def discovery() -> dict[str, Any]:
    """The issuer's OpenID configuration (cached); ProviderUnavailable when it cannot be read or names another
    issuer."""
    issuer = settings.MOTCUA_OIDC_ISSUER
    key = f"oidc-discovery:{issuer}"
    document = cache.get(key)
    if document is None:
        try:
            response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=settings.MOTCUA_OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(str(exc)) from exc
        if not isinstance(document, dict) or document.get("issuer", "").rstrip("/") != issuer \
                or any(field not in document for field in ENDPOINTS.values()):
            raise ProviderUnavailable(f"the discovery document of {issuer} does not describe it")
        cache.set(key, document, DISCOVERY_TTL_SECONDS)
    return document


def setting(attr: str, *args: Any) -> Any:
    """mozilla-django-oidc's settings, with the provider endpoints taken from discovery."""
    if attr in ENDPOINTS:
        return discovery()[ENDPOINTS[attr]]
    return import_from_settings(attr, *args)


def end_session_url(id_token: str, after_logout: str) -> str | None:
    """Where to send the browser so the provider ends its session too (RP-initiated logout), if it supports it."""
    try:
        endpoint = discovery().get("end_session_endpoint")
    except ProviderUnavailable:
        return None
    if not endpoint:
        return None
    query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": after_logout,
                       "client_id": settings.MOTCUA_OIDC_CLIENT_ID})
    return f"{endpoint}?{query}"


class StartView(OIDCAuthenticationRequestView):
    """Redirects to the provider's authorization endpoint with state, nonce and a PKCE challenge (kept in the
    session)."""

    get_settings = staticmethod(setting)


class NationalIdentityBackend(OIDCAuthenticationBackend):
    """Exchanges the code (with the PKCE verifier), checks the ID token and logs the citizen in.

    Not in AUTHENTICATION_BACKENDS: only the callback view uses it, so password logins never contact the provider.
    """

    get_settings = staticmethod(setting)

    def _verify_jws(self, payload: str, key: Any) -> dict[str, Any]:
        try:
            alg = jwt.get_unverified_header(payload).get("alg")
            if alg != self.OIDC_RP_SIGN_ALGO:
                raise SuspiciousOperation(f"ID token signed with {alg!r}, expected {self.OIDC_RP_SIGN_ALGO!r}")
            # Unlike the library's default, the audience and the issuer are checked too.
            return jwt.decode(payload, key, algorithms=[alg], audience=self.OIDC_RP_CLIENT_ID,
                              issuer=settings.MOTCUA_OIDC_ISSUER, options={"require": ["exp", "iat", "sub"]})
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The ID token's claims, completed by the userinfo endpoint (same subject only)."""
        claims = dict(payload)
        extra = super().get_userinfo(access_token, id_token, payload)
        if extra.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo answers for another subject")
        claims.update({key: value for key, value in extra.items() if key not in ("iss", "aud", "nonce")})
        return claims

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        return services.login_national_identity(self.get_userinfo(access_token, id_token, payload), self.request)
