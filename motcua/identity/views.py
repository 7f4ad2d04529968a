"""Account pages: log in (with the authenticator step for staff), log out, sign up, password reset, profile, and the
authenticator setup. Thin: forms parse, services decide and write."""

from __future__ import annotations

from base64 import b32encode
from datetime import timedelta
from typing import Any

import django_otp
import requests
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.organization.queries import roles_of

from . import oidc, queries, services
from .forms import CitizenSignupForm, LoginForm, OrganizationSignupForm, OtpForm, add_service_errors
from .models import User

BACKEND = "motcua.identity.backends.IdentifierBackend"
# A login whose password was right waits this long for its authenticator code.
PENDING_LOGIN_KEY = "identity_pending_login"
SECOND_FACTOR_WINDOW = timedelta(minutes=5)
# How this session logged in ("oidc" for the national identity provider), for the logout at the provider.
LOGIN_METHOD_KEY = "identity_login_method"


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    """`candidate` if it points into this site, else the default page after login."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _next_param(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    return candidate if _safe_next(request, candidate) == candidate else ""


def _start_session(request: HttpRequest, user: User, device: TOTPDevice | None, next_url: str) -> HttpResponse:
    auth_login(request, user, backend=BACKEND)
    if device is not None:
        django_otp.login(request, device)
    return redirect(_safe_next(request, next_url))


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_param(request)
    form = LoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound and form.is_valid():
        identifier, password = form.cleaned_data["identifier"], form.cleaned_data["password"]
        try:
            user = services.login(request, identifier, password)
        except services.SecondFactorRequired:
            # The password was right; remember who, for a short while, and ask for the code.
            account = queries.find_by_identifier(identifier)
            if account is not None:
                request.session[PENDING_LOGIN_KEY] = {
                    "user": account.pk, "until": (clock.now() + SECOND_FACTOR_WINDOW).timestamp(), "next": next_url,
                }
                return redirect("identity:login_otp")
            form.add_error(None, _("The identifier or the password is wrong."))
            status = 401
        except services.AccountLocked as exc:
            form.add_error(None, str(exc.message))
            status = 429
        except services.LoginFailed as exc:
            form.add_error(None, str(exc.message))
            status = 401
        else:
            request.session.pop(PENDING_LOGIN_KEY, None)
            return _start_session(request, user, None, next_url)
    elif form.is_bound:
        status = 422
    return _login_page(request, form, next_url, status=status)


def _login_page(request: HttpRequest, form: LoginForm, next_url: str, *, status: int = 200,
                alert: str = "") -> HttpResponse:
    return render(request, "identity/login.html", {
        "form": form, "next": next_url, "alert": alert, "oidc_enabled": oidc.enabled(),
    }, status=status)


@never_cache
def oidc_start(request: HttpRequest) -> HttpResponse:
    """Off to the national identity provider (state, nonce and PKCE verifier kept in the session)."""
    if not oidc.enabled():
        raise Http404
    try:
        return oidc.StartView.as_view()(request)
    except oidc.ProviderUnavailable:
        return _login_page(request, LoginForm(), _next_param(request), status=502,
                           alert=_("The national identity provider cannot be reached now. Try again later, or log "
                                   "in with your password."))


@never_cache
def oidc_callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the browser back here with a code: check it all, then log the citizen in."""
    if not oidc.enabled():
        raise Http404
    states = request.session.get("oidc_states") or {}
    state = request.GET.get("state", "")
    pending = states.pop(state, None) if state else None
    request.session["oidc_states"] = states  # each state is used once, whatever happens next
    next_url = request.session.pop("oidc_login_next", None) or ""
    if request.GET.get("error"):
        return _oidc_refused(request, _("The national identity provider did not log you in (%(error)s).")
                             % {"error": request.GET["error"][:100]}, 400)
    if pending is None or not request.GET.get("code"):
        return _oidc_refused(request, _("This answer does not belong to a login started here (state mismatch). "
                                        "Start the login again."), 400)
    try:
        user = oidc.NationalIdentityBackend().authenticate(
            request, nonce=pending.get("nonce"), code_verifier=pending.get("code_verifier"))
    except SuspiciousOperation:
        return _oidc_refused(request, _("The identity provider's answer failed the checks (ID token signature, "
                                        "issuer, audience, expiry or nonce). Nothing was changed; start again."), 400)
    except services.NationalLoginRefused as exc:
        return _oidc_refused(request, str(exc.message), 403)
    except (oidc.ProviderUnavailable, requests.RequestException):
        return _oidc_refused(request, _("The national identity provider cannot be reached now. Try again later, "
                                        "or log in with your password."), 502)
    if user is None:
        return _oidc_refused(request, _("The identity provider's answer failed the checks (ID token signature, "
                                        "issuer, audience, expiry or nonce). Nothing was changed; start again."), 400)
    id_token = request.session.get("oidc_id_token")
    auth_login(request, user, backend=BACKEND)
    request.session[LOGIN_METHOD_KEY] = "oidc"
    request.session["oidc_id_token"] = id_token
    messages.success(request, _("You are logged in with the national identity provider: your identity is "
                                "verified."))
    return redirect(_safe_next(request, next_url))


def _oidc_refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    request.session.pop("oidc_id_token", None)
    return _login_page(request, LoginForm(), "", status=status, alert=message)


def _pending_login(request: HttpRequest) -> tuple[User, str] | None:
    """The account waiting for its authenticator code in this session, and where to go after; None if expired."""
    pending = request.session.get(PENDING_LOGIN_KEY)
    if not isinstance(pending, dict) or pending.get("until", 0) < clock.now().timestamp():
        request.session.pop(PENDING_LOGIN_KEY, None)
        return None
    user = queries.active_user(pending.get("user"))
    if user is None:
        request.session.pop(PENDING_LOGIN_KEY, None)
        return None
    return user, str(pending.get("next") or "")


@sensitive_post_parameters("otp")
@csrf_protect
@never_cache
def login_otp(request: HttpRequest) -> HttpResponse:
    pending = _pending_login(request)
    if pending is None:
        messages.info(request, _("Log in with your password first; the code step lasts 5 minutes."))
        return redirect("identity:login")
    user, next_url = pending
    form = OtpForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound and form.is_valid():
        try:
            device = services.login_second_factor(user, form.cleaned_data["otp"], request)
        except services.AccountLocked as exc:
            request.session.pop(PENDING_LOGIN_KEY, None)
            return _login_page(request, LoginForm(), next_url, status=429, alert=str(exc.message))
        except services.LoginFailed as exc:
            form.add_error("otp", str(exc.message))
            status = 401
        else:
            request.session.pop(PENDING_LOGIN_KEY, None)
            return _start_session(request, user, device, next_url)
    elif form.is_bound:
        status = 422
    return render(request, "identity/login_otp.html", {"form": form}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Ends the session here; after a login through the national identity provider, also there (RP-initiated
    logout) when the provider offers it."""
    id_token = request.session.get("oidc_id_token") if request.session.get(LOGIN_METHOD_KEY) == "oidc" else None
    auth_logout(request)
    if id_token and oidc.enabled():
        after = request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL))
        url = oidc.end_session_url(id_token, after)
        if url:
            return redirect(url)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@sensitive_post_parameters("password", "password_confirm")
@csrf_protect
@never_cache
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("identity:profile")
    kind = request.POST.get("kind") if request.method == "POST" else request.GET.get("kind")
    kind = "organization" if kind == "organization" else "citizen"
    form_class = OrganizationSignupForm if kind == "organization" else CitizenSignupForm
    form = form_class(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound and form.is_valid():
        try:
            if kind == "organization":
                user = services.register_organization(form.signup())
            else:
                user = services.register_citizen(form.signup())
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
            status = 422
        else:
            auth_login(request, user, backend=BACKEND)
            messages.success(request, _("Your account is ready. Welcome, %(name)s.") % {"name": user.display_name})
            if kind == "citizen" and user.identity_verified:
                messages.info(request, _("The population registry confirmed your identity."))
            elif kind == "citizen":
                messages.warning(request, _("The population registry could not confirm your identity now: your "
                                            "account is not verified yet. It is checked again when you submit a "
                                            "dossier."))
            return redirect("identity:profile")
    elif form.is_bound:
        status = 422
    return render(request, "identity/signup.html", {"form": form, "kind": kind}, status=status)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    context: dict[str, Any] = {"account": user}
    if user.is_staff_member:
        context["roles"] = roles_of(user)
        context["totp_enabled"] = queries.has_totp(user)
    return render(request, "identity/profile.html", context)


def _grouped(secret: str, size: int = 4) -> str:
    return " ".join(secret[i:i + size] for i in range(0, len(secret), size))


@sensitive_post_parameters("otp")
@login_required
def totp_setup(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    if not user.is_staff_member:
        return render(request, "identity/forbidden.html",
                      {"message": _("Only staff accounts set up an authenticator app.")}, status=403)
    device = queries.pending_totp(user) or services.start_totp_setup(user)
    form = OtpForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound and form.is_valid():
        try:
            confirmed = services.confirm_totp(user, form.cleaned_data["otp"])
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
            status = 422
        else:
            django_otp.login(request, confirmed)
            messages.success(request, _("The authenticator app is set up: from now on, logging in asks for its code."))
            return redirect("identity:profile")
    elif form.is_bound:
        status = 422
    qr = segno.make(device.config_url, error="m")
    return render(request, "identity/totp_setup.html", {
        "form": form,
        # segno writes the SVG itself from the otpauth:// URL: no user-supplied markup reaches it.
        "qr_svg": mark_safe(qr.svg_inline(scale=4, title=_("QR code for your authenticator app"))),
        "secret": _grouped(b32encode(device.bin_key).decode()),
        "already_enabled": queries.has_totp(user),
    }, status=status)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "identity/password_reset_form.html"
    email_template_name = "identity/email/password_reset.txt"
    subject_template_name = "identity/email/password_reset_subject.txt"
    success_url = reverse_lazy("identity:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "identity/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "identity/password_reset_confirm.html"
    success_url = reverse_lazy("identity:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # Whoever proved they read the account's mailbox may log in again at once.
        services.unlock([form.user])
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "identity/password_reset_complete.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["login_url"] = reverse("identity:login")
        return context
