from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from . import queries


class IdentifierBackend(ModelBackend):
    """Password login with any of the account's identifiers: username, citizen ID number, tax code or e-mail.

    A locked account (too many failed logins) cannot authenticate until its lock runs out.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: object
    ) -> object | None:
        if not username or password is None:
            return None
        user = queries.find_by_identifier(username)
        if user is None:
            # Same work as a real check, so timing does not tell which identifiers exist.
            get_user_model()().set_password(password)
            return None
        if queries.is_locked(user):
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
