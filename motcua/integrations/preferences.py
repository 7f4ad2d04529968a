"""Applicants' notification preferences: which channels (e-mail, SMS, in-app) they want, and their SMS language.

Without a saved row every channel is on and the language is Vietnamese. Consumers ask `wants(user_id, channel)`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import FieldError, ValidationFailed
from motcua.identity.models import User

from .models import NotificationPreference

CHANNELS = ("email", "sms", "in_app")
LANGUAGES = ("vi", "en")


def of(user: User) -> NotificationPreference:
    """The account's preferences (unsaved defaults when none were saved)."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)


def of_id(user_id: Any) -> NotificationPreference | None:
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    return NotificationPreference.objects.filter(user_id=user_id).first() or NotificationPreference(user_id=user_id)


def wants(user_id: Any, channel: str) -> bool:
    """Whether the account `user_id` wants `channel`; True for no account (nothing to honour: e.g. an e-mail address
    given on a desk dossier)."""
    found = of_id(user_id)
    return True if found is None else bool(getattr(found, channel))


@transaction.atomic
def update(user: User, changes: dict[str, Any]) -> NotificationPreference:
    """Change some of the account's preferences (`email`, `sms`, `in_app`: booleans; `language`: vi or en)."""
    errors = [FieldError(key, "type", _("Must be true or false.")) for key in CHANNELS
              if key in changes and not isinstance(changes[key], bool)]
    if "language" in changes and changes["language"] not in LANGUAGES:
        errors.append(FieldError("language", "choice", _("The language must be vi or en.")))
    unknown = sorted(set(changes) - {*CHANNELS, "language"})
    errors += [FieldError(key, "unknown", _("Not a preference.")) for key in unknown]
    if errors:
        raise ValidationFailed(_("The preferences are not valid."), errors)
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    for key, value in changes.items():
        setattr(preference, key, value)
    preference.updated_at = clock.now()
    preference.save()
    return preference
