"""Every write to accounts: sign-up, login bookkeeping (lockout), API tokens, TOTP second factor."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate as django_authenticate
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from motcua.audit import services as audit
from motcua.core import clock, ratelimit
from motcua.core.errors import DomainError, FieldError, ValidationFailed
from motcua.organization.models import Unit

from . import queries, registry
from .models import AccountKind, ApiToken, IdentityMethod, OrganizationType, Sex, User
from .validators import citizen_id_errors, tax_code_errors


class LoginFailed(DomainError):
    status = 401
    code = "invalid_credentials"


class AccountLocked(DomainError):
    status = 429
    code = "account_locked"


class LoginThrottled(AccountLocked):
    """Too many login attempts from one address (whatever the accounts): answered like a lockout, 429."""

    code = "rate_limited"


class SecondFactorRequired(DomainError):
    status = 401
    code = "otp_required"


@dataclass(frozen=True)
class CitizenSignup:
    national_id: str
    full_name: str
    birth_date: date
    sex: str
    phone: str
    email: str
    address: str
    password: str
    home_unit: Unit | None = None
    username: str = ""  # defaults to the national ID number


@dataclass(frozen=True)
class OrganizationSignup:
    tax_code: str
    organization_name: str
    organization_type: str
    representative: str
    phone: str
    email: str
    address: str
    password: str
    home_unit: Unit | None = None
    username: str = ""  # defaults to the tax code


def _contact_errors(email: str, phone: str) -> list[FieldError]:
    errors = []
    try:
        validate_email(email)
    except DjangoValidationError:
        errors.append(FieldError("email", "format", _("Enter a valid e-mail address.")))
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors.append(FieldError("email", "unique", _("An account with this e-mail already exists.")))
    digits = phone.replace(" ", "").replace("+84", "0")
    if phone and not (digits.isdigit() and 9 <= len(digits) <= 11):
        errors.append(FieldError("phone", "format", _("Enter a phone number of 9 to 11 digits.")))
    return errors


def _password_errors(password: str, user: User) -> list[FieldError]:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        return [FieldError("password", "strength", message) for message in exc.messages]
    return []


def _create_applicant(user: User, password: str, errors: list[FieldError]) -> User:
    """Save a new applicant account once every sign-up rule (and the password's strength) holds."""
    errors = errors + _password_errors(password, user)
    if errors:
        raise ValidationFailed(_("The sign-up form has errors."), errors)
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def register_citizen(data: CitizenSignup) -> User:
    """A citizen account; its username is the citizen ID number."""
    errors = citizen_id_errors(data.national_id, birth_date=data.birth_date, sex=data.sex)
    username = data.username or data.national_id
    if not errors and User.objects.filter(Q(national_id=data.national_id) | Q(username=username)).exists():
        errors.append(FieldError("national_id", "unique", _("An account with this identity number already exists.")))
    if not data.full_name.strip():
        errors.append(FieldError("full_name", "required", _("The full name is required.")))
    if data.sex not in Sex.values:
        errors.append(FieldError("sex", "choice", _("Choose male or female.")))
    if data.birth_date > clock.today():
        errors.append(FieldError("birth_date", "past", _("The birth date must be in the past.")))
    errors += _contact_errors(data.email, data.phone)
    checked = None if errors else registry.verify(data.national_id, data.full_name, data.birth_date)
    if checked is not None and checked.status == registry.Status.MISMATCH:
        errors += registry_errors(checked)
    user = User(
        username=username, kind=AccountKind.CITIZEN, national_id=data.national_id,
        full_name=data.full_name.strip(), birth_date=data.birth_date, sex=data.sex, phone=data.phone,
        email=data.email, address=data.address, home_unit=data.home_unit, date_joined=clock.now(),
    )
    if checked is not None and checked.verified:
        user.identity_method, user.identity_verified_at = IdentityMethod.REGISTRY, clock.now()
    # Not found or registry unavailable: the account is made unverified; the check runs again at submission.
    return _create_applicant(user, data.password, errors)


_MISMATCH_MESSAGES = {
    "full_name": _("The full name is not the one the population registry holds for this identity number."),
    "birth_date": _("The birth date is not the one the population registry holds for this identity number."),
}


def registry_errors(checked: registry.Result) -> list[FieldError]:
    """One error per field the population registry disagrees with."""
    return [FieldError(name, "registry_mismatch", _MISMATCH_MESSAGES[name]) for name in checked.mismatched]


def verify_identity(user: User) -> bool:
    """Whether `user`'s identity is verified: already (by the registry or the national identity provider), or now
    by the population registry, which then marks the account so it is not asked again. Only citizens with an ID
    number and a birth date can be checked."""
    if user.identity_verified:
        return True
    if user.kind != AccountKind.CITIZEN or not user.national_id or user.birth_date is None:
        return False
    if not registry.verify(user.national_id, user.full_name, user.birth_date).verified:
        return False
    _mark_verified(user, IdentityMethod.REGISTRY)
    return True


@transaction.atomic
def _mark_verified(user: User, method: str) -> None:
    user.identity_method, user.identity_verified_at = method, clock.now()
    User.objects.filter(pk=user.pk).update(identity_method=method, identity_verified_at=user.identity_verified_at)
    audit.record("identity_verified", actor=user, object_type="user", object_id=user.pk, data={"method": method})


class NationalLoginRefused(DomainError):
    status = 403
    code = "national_login_refused"


def _claimed_date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _new_national_account(id_number: str, full_name: str, birth_date: date | None,
                          claims: dict[str, Any]) -> User | None:
    """The citizen account of a first national login, or None when a concurrent first login of the same citizen
    made it first (the unique ID number refuses the second; its savepoint is rolled back, nothing half-written)."""
    email = str(claims.get("email") or "") if claims.get("email_verified") else ""
    if email and User.objects.filter(email__iexact=email).exists():
        email = ""
    sex = {"male": Sex.MALE, "female": Sex.FEMALE}.get(str(claims.get("gender") or ""), "")
    username = id_number if not User.objects.filter(username=id_number).exists() else f"vneid-{id_number}"
    user = User(username=username, kind=AccountKind.CITIZEN, national_id=id_number, full_name=full_name,
                birth_date=birth_date, sex=sex, email=email, date_joined=clock.now())
    user.set_unusable_password()  # logs in through the provider until the citizen sets a password
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        if not User.objects.filter(national_id=id_number).exists():
            raise  # another constraint (the username): not the race this handles
        return None
    audit.record("account_created", actor=user, object_type="user", object_id=user.pk,
                 data={"method": IdentityMethod.OIDC})
    return user


@transaction.atomic
def login_national_identity(claims: dict[str, Any], request: HttpRequest | None = None) -> User:
    """A login vouched for by the national identity provider (OpenID Connect), whose verified `claims` carry the
    citizen ID number (claim MOTCUA_OIDC_ID_CLAIM). The citizen account with that number is used (one is made the
    first time) and marked verified by the provider; staff and disabled accounts cannot log in this way."""
    id_number = str(claims.get(settings.MOTCUA_OIDC_ID_CLAIM) or "").strip()
    if citizen_id_errors(id_number):
        raise NationalLoginRefused(_("The identity provider did not give a valid citizen identity number."))
    full_name = " ".join(str(claims.get(settings.MOTCUA_OIDC_NAME_CLAIM) or "").split())
    birth_date = _claimed_date(claims.get(settings.MOTCUA_OIDC_BIRTHDATE_CLAIM))
    user = User.objects.select_for_update().filter(national_id=id_number).first()
    created = None
    if user is None:
        created = _new_national_account(id_number, full_name, birth_date, claims)
        # None: the same citizen's first login in another request made the account meanwhile.
        user = created or User.objects.select_for_update().get(national_id=id_number)
    if created is None:
        if not user.is_active or user.kind != AccountKind.CITIZEN:
            raise NationalLoginRefused(_("This account cannot log in through the national identity provider."))
        # The provider is the authority on the name and birth date it vouches for.
        user.full_name = full_name or user.full_name
        user.birth_date = birth_date or user.birth_date
        user.save(update_fields=["full_name", "birth_date"])
    _mark_verified(user, IdentityMethod.OIDC)
    _record_success(user, request)
    return user


@transaction.atomic
def register_organization(data: OrganizationSignup) -> User:
    """An organization account; its username is the tax code."""
    errors = tax_code_errors(data.tax_code)
    username = data.username or data.tax_code
    if not errors and User.objects.filter(Q(tax_code=data.tax_code) | Q(username=username)).exists():
        errors.append(FieldError("tax_code", "unique", _("An account with this tax code already exists.")))
    if not data.organization_name.strip():
        errors.append(FieldError("organization_name", "required", _("The organization name is required.")))
    if data.organization_type not in OrganizationType.values:
        errors.append(FieldError("organization_type", "choice", _("Choose the kind of organization.")))
    if not data.representative.strip():
        errors.append(FieldError("representative", "required", _("The legal representative is required.")))
    errors += _contact_errors(data.email, data.phone)
    user = User(
        username=username, kind=AccountKind.ORGANIZATION, tax_code=data.tax_code,
        organization_name=data.organization_name.strip(), organization_type=data.organization_type,
        representative=data.representative.strip(), full_name=data.representative.strip(), phone=data.phone,
        email=data.email, address=data.address, home_unit=data.home_unit, date_joined=clock.now(),
    )
    return _create_applicant(user, data.password, errors)


@transaction.atomic
def save_staff(*, username: str, full_name: str, email: str, password: str | None = None,
               is_superuser: bool = False) -> User:
    """Create or update a staff account (roles are given with organization.services.assign_role)."""
    user, created = User.objects.get_or_create(
        username=username, defaults={"kind": AccountKind.STAFF, "date_joined": clock.now()}
    )
    user.kind = AccountKind.STAFF
    user.full_name = full_name
    user.email = email
    user.is_staff = True
    user.is_superuser = is_superuser
    if password is not None and (created or not user.check_password(password)):
        user.set_password(password)
    user.save()
    return user


def login(request: HttpRequest | None, identifier: str, password: str, otp: str | None = None) -> User:
    """Check a password login; count failures per account and lock it after LOGIN_MAX_FAILURES.

    A staff account with a confirmed TOTP device also needs the current `otp` code (SecondFactorRequired without it).
    """
    limit, window = settings.LOGIN_RATE
    if request is not None and not ratelimit.allow("login", _address(request), limit, window):
        raise LoginThrottled(_("Too many login attempts from this address: wait a minute."))
    account = queries.find_by_identifier(identifier)
    if account is not None and queries.is_locked(account):
        raise AccountLocked(_("Too many failed logins: the account is locked for a while. Try again later."))
    user = django_authenticate(request, username=identifier, password=password)
    if user is None:
        if account is not None:
            _record_failure(account, request)
        raise LoginFailed(_("The identifier or the password is wrong."))
    if user.is_staff_member and queries.has_totp(user):
        if not otp:
            raise SecondFactorRequired(_("Enter the 6-digit code from your authenticator app."))
        login_second_factor(user, otp, request)
        return user
    _record_success(user, request)
    return user


def login_second_factor(user: User, otp: str, request: HttpRequest | None = None) -> TOTPDevice:
    """The second step of a login whose password was right but which raised SecondFactorRequired.

    Checks the authenticator code of `user`; a wrong code counts as a failed login (and may lock the account).
    Returns the device that accepted the code, so a web session can be marked as verified with it.
    """
    user.refresh_from_db(fields=["locked_until", "failed_logins", "is_active"])
    if queries.is_locked(user):
        raise AccountLocked(_("Too many failed logins: the account is locked for a while. Try again later."))
    if not user.is_active:
        raise LoginFailed(_("The identifier or the password is wrong."))
    device = _device_accepting(user, otp)
    if device is None:
        _record_failure(user, request)
        raise LoginFailed(_("The authenticator code is wrong."))
    _record_success(user, request)
    return device


def _address(request: HttpRequest | None) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


@transaction.atomic
def _record_success(user: User, request: HttpRequest | None = None) -> None:
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None, last_login=clock.now())
    audit.record("login", actor=user, object_type="user", object_id=user.pk, ip=_address(request))


def _record_failure(account: User, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        User.objects.filter(pk=account.pk).update(failed_logins=F("failed_logins") + 1)
        failures = User.objects.values_list("failed_logins", flat=True).get(pk=account.pk)
        audit.record("login_failed", object_type="user", object_id=account.pk, ip=_address(request))
        if failures >= settings.LOGIN_MAX_FAILURES:
            User.objects.filter(pk=account.pk).update(
                failed_logins=0, locked_until=clock.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
            )
            audit.record("account_locked", object_type="user", object_id=account.pk, ip=_address(request),
                         data={"minutes": settings.LOGIN_LOCKOUT_MINUTES})


SCOPE_ITEM = r"(\*|[a-z][a-z0-9_-]{0,40}:(read|write))"
SCOPE_PATTERN = re.compile(f"^{SCOPE_ITEM}$")
# A whole requested scope: items separated by single spaces (the API's request schema uses it).
SCOPE_LIST_PATTERN = f"^{SCOPE_ITEM}( {SCOPE_ITEM})*$"


def scope_errors(scope: str) -> list[FieldError]:
    """The rules a requested token scope keeps: space-separated `<area>:read|write` items, or `*`."""
    items = scope.split()
    if not items:
        return [FieldError("scope", "required", _("Ask for at least one scope, or * for all."))]
    bad = [item for item in items if not SCOPE_PATTERN.match(item)]
    if bad:
        return [FieldError("scope", "format", _("Scopes are <area>:read or <area>:write, or *."))]
    return []


@transaction.atomic
def issue_token(user: User, scope: str = "*") -> tuple[str, ApiToken]:
    """A new bearer token for `user` limited to `scope` (see ApiToken.scopes): the raw token (shown once) and its
    stored record."""
    errors = scope_errors(scope)
    if errors:
        raise ValidationFailed(_("The requested scope is not valid."), errors)
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken.objects.create(
        user=user, key_hash=ApiToken.hash(raw), created_at=now, scopes=" ".join(scope.split()),
        expires_at=now + timedelta(seconds=settings.API_TOKEN_TTL_SECONDS),
    )
    audit.record("token_issued", actor=user, object_type="api_token", object_id=token.pk,
                 data={"scopes": token.scopes})
    return raw, token


@transaction.atomic
def start_totp_setup(user: User) -> TOTPDevice:
    """An unconfirmed TOTP device for a staff account (replacing an earlier unconfirmed one)."""
    if not user.is_staff_member:
        raise ValidationFailed(_("Only staff accounts use a second factor."),
                               [FieldError("user", "staff_only", _("Not a staff account."))])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


@transaction.atomic
def confirm_totp(user: User, code: str) -> TOTPDevice:
    """Confirm the pending device with a code it generated; from then on logins need a code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(code.strip()):
        raise ValidationFailed(_("The authenticator code is wrong."),
                               [FieldError("otp", "totp", _("The code does not match; try the current one."))])
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save()
    return device


def verify_totp(user: User, code: str) -> bool:
    return _device_accepting(user, code) is not None


def _device_accepting(user: User, code: str | None) -> TOTPDevice | None:
    """The confirmed device of `user` that accepts `code` (each code is accepted once), or None."""
    code = (code or "").strip()
    if not code:
        return None
    with transaction.atomic():
        # Locked rows: two requests cannot both spend the same code.
        for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_token(code):
                return device
    return None


@transaction.atomic
def unlock(users: Iterable[User]) -> int:
    """Lift the lockout of `users` and forget their failed logins; returns how many accounts were locked."""
    ids = [user.pk for user in users]
    locked = User.objects.filter(pk__in=ids, locked_until__gt=clock.now()).count()
    User.objects.filter(pk__in=ids).update(failed_logins=0, locked_until=None)
    for pk in ids:
        audit.record("account_unlocked", object_type="user", object_id=pk)
    return locked
