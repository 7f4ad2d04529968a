"""Writes on notifications made by their readers: marking them read."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import FieldError, NotFound
from motcua.identity.models import User

from .models import Notification


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark `user`'s notification read (again is harmless: the first reading time stays). NotFound if not theirs."""
    with transaction.atomic():
        notification = None
        if 0 < notification_id < 2**63:
            notification = Notification.objects.select_for_update().filter(pk=notification_id, user=user).first()
        if notification is None:
            raise NotFound(_("You have no notification with this id."),
                           [FieldError("id", "exists", _("You have no notification with this id."))])
        if notification.read_at is None:
            notification.read_at = clock.now()
            notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(user: User) -> int:
    """Mark every unread notification of `user` read; returns how many."""
    with transaction.atomic():
        return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=clock.now())
