from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from motcua.core import clock

from .models import ApiToken, User

if TYPE_CHECKING:
    from django_otp.plugins.otp_totp.models import TOTPDevice


def find_by_identifier(identifier: str) -> User | None:
    """The account whose username, citizen ID number, tax code or e-mail is `identifier` (e-mail case-insensitive)."""
    identifier = identifier.strip()
    if not identifier:
        return None
    matches = list(
        User.objects.filter(
            Q(username=identifier) | Q(national_id=identifier) | Q(tax_code=identifier) | Q(email__iexact=identifier)
        )[:2]
    )
    # An e-mail shared by two accounts identifies neither: refuse rather than guess.
    return matches[0] if len(matches) == 1 else None


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > clock.now()


def active_token(raw: str) -> ApiToken | None:
    """The unexpired, unrevoked API token `raw` of an active user (with its user), or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash(raw), revoked_at__isnull=True, expires_at__gt=clock.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token


def user_for_token(raw: str) -> User | None:
    """The active user holding the unexpired, unrevoked API token `raw`."""
    token = active_token(raw)
    return token.user if token is not None else None


def active_user(pk: object) -> User | None:
    """The active account with primary key `pk`, or None."""
    try:
        return User.objects.filter(pk=pk, is_active=True).first()
    except (TypeError, ValueError):
        return None


def pending_totp(user: User) -> TOTPDevice | None:
    """The authenticator device `user` has started to set up but not confirmed yet."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def has_totp(user: User) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
