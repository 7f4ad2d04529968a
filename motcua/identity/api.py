"""Accounts over the API: bearer tokens and the caller's own profile."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field as SchemaField
from ninja import Router, Schema
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import FieldError, PermissionDenied, interpolated
from motcua.organization.queries import roles_of

from . import queries, services
from .models import User

router = Router(tags=["accounts"])


API_PREFIX = "/api/v1/"


def scope_for(method: str, path: str) -> str:
    """The scope an operation needs: `<area>:read` for GET/HEAD/OPTIONS, else `<area>:write`, where the area is the
    first segment of the path after /api/v1/ (dossiers, files, results, me, ...)."""
    rest = path[path.find(API_PREFIX) + len(API_PREFIX):] if API_PREFIX in path else path.lstrip("/")
    area = rest.split("/", 1)[0] or "api"
    return f"{area}:{'read' if method in ('GET', 'HEAD', 'OPTIONS') else 'write'}"


def required_scope(request: HttpRequest) -> str:
    return scope_for(request.method or "GET", request.path_info)


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = queries.active_token(token)
        if found is None:
            return None
        scope = required_scope(request)
        if not found.allows(scope):
            raise PermissionDenied(_("This token's scope does not cover this operation."), [
                FieldError("Authorization", "insufficient_scope",
                       interpolated(_("A token with the scope %(scope)s is needed."), scope=scope)),
            ])
        request.user = found.user
        return found.user


def bearer_user(request: HttpRequest) -> User | None:
    """For operations open to anonymous callers: the account of the request's bearer token, its scope checked like
    BearerAuth does (403 when it does not cover the operation); None without a valid bearer token."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return BearerAuth().authenticate(request, token.strip())


class SessionAuth(APIKeyCookie):
    """A logged-in Django session (the portal's own pages), beside bearer tokens.

    ninja's `django_auth` runs the CSRF check before it looks at the session, so a client with neither token nor
    session gets 403 `{"detail": "CSRF check Failed"}` instead of the 401 of the house shape. This one ignores requests
    without a logged-in session (401 follows), and checks CSRF (the `X-CSRFToken` header or the `csrfmiddlewaretoken`
    form field, with the CSRF cookie) for every unsafe request it does authenticate: 403 in the house shape when it
    fails. Bearer-token clients never reach it (BearerAuth is tried first) and need no CSRF token.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise PermissionDenied(_("The CSRF check failed: reload the page and try again."), [
                FieldError("X-CSRFToken", "csrf", _("Send the CSRF token of the page with a session request.")),
            ])
        return user

    def _get_key(self, request: HttpRequest) -> str | None:
        # The check is in authenticate(), after the session is known to be logged in.
        return request.COOKIES.get(self.param_name)


# Every authenticated API operation accepts a bearer token, or the portal's own logged-in session (with CSRF).
AUTH = [BearerAuth(), SessionAuth()]


class TokenIn(Schema):
    username: str = SchemaField(..., min_length=1, max_length=254,
                                description="Username, citizen ID number, tax code or e-mail.")
    password: str = SchemaField(..., min_length=1, max_length=4096)
    otp: str | None = SchemaField(None, max_length=12, description="TOTP code, for staff with a second factor.")
    scope: str = SchemaField("*", max_length=500, pattern=services.SCOPE_LIST_PATTERN,
                             description="What the token may do: space-separated `<area>:read` / `<area>:write` "
                                         "(area = first path segment after /api/v1/, e.g. `dossiers:read`; write "
                                         "implies read), or `*` (default) for all the account may do.")


class TokenOut(Schema):
    access_token: str
    token_type: str
    expires_in: int
    scope: str


class RoleOut(Schema):
    role: str
    unit: str
    unit_name: str


class MeOut(Schema):
    username: str
    kind: str
    display_name: str
    full_name: str
    email: str
    phone: str
    national_id: str | None
    birth_date: date | None
    sex: str
    address: str
    tax_code: str | None
    organization_name: str
    representative: str
    home_unit: str | None
    roles: list[RoleOut]
    totp_enabled: bool
    identity_verified: bool = SchemaField(description="The identity was verified by the population registry or the "
                                                      "national identity provider.")
    identity_method: str = SchemaField(description="How: `registry`, `oidc` or `none`.")
    identity_verified_at: datetime | None


@router.post("/auth/token", response={200: TokenOut, 401: ErrorOut, 429: ErrorOut, **ERRORS}, auth=None,
             summary="Exchange a password (and TOTP code) for a bearer token")
def create_token(request: HttpRequest, payload: TokenIn) -> dict[str, Any]:
    user = services.login(request, payload.username, payload.password, payload.otp)
    raw, token = services.issue_token(user, payload.scope)
    return {"access_token": raw, "token_type": "bearer", "expires_in": settings.API_TOKEN_TTL_SECONDS,
            "scope": token.scopes}


@router.get("/me", response={200: MeOut, 401: ErrorOut}, auth=BearerAuth(), summary="The caller's account")
def me(request: HttpRequest) -> dict[str, Any]:
    user: User = request.auth
    return {
        "username": user.username, "kind": user.kind, "display_name": user.display_name,
        "full_name": user.full_name, "email": user.email, "phone": user.phone, "national_id": user.national_id,
        "birth_date": user.birth_date, "sex": user.sex, "address": user.address, "tax_code": user.tax_code,
        "organization_name": user.organization_name, "representative": user.representative,
        "home_unit": user.home_unit.agency_code if user.home_unit else None,
        "roles": [{"role": a.role, "unit": a.unit.agency_code, "unit_name": a.unit.name_vi} for a in roles_of(user)],
        "totp_enabled": queries.has_totp(user), "identity_verified": user.identity_verified,
        "identity_method": user.identity_method, "identity_verified_at": user.identity_verified_at,
    }
