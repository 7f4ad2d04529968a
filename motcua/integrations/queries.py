"""Reads of notifications for pages and the API: bounded, newest first, keyset pagination on id."""

from __future__ import annotations

from dataclasses import dataclass

from motcua.identity.models import User

from .models import Notification


@dataclass(frozen=True)
class NotificationPage:
    items: list[Notification]
    next_cursor: str | None


def encode_cursor(notification_id: int) -> str:
    return str(notification_id)


def decode_cursor(cursor: str) -> int | None:
    """The id a cursor points after, or None if it is not one of ours."""
    cursor = cursor.strip()
    if not cursor.isascii() or not cursor.isdigit() or len(cursor) > 19:
        return None
    value = int(cursor)
    return value if value > 0 else None


def notifications_for(user: User, *, unread: bool | None = None, before: int | None = None,
                      limit: int = 20) -> NotificationPage:
    """`user`'s notifications, newest first; `unread` True/False filters on read state; `before` is an id cursor."""
    rows = Notification.objects.filter(user=user)
    if unread is True:
        rows = rows.filter(read_at__isnull=True)
    elif unread is False:
        rows = rows.filter(read_at__isnull=False)
    if before is not None:
        rows = rows.filter(id__lt=before)
    items = list(rows.order_by("-id")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return NotificationPage(items=items, next_cursor=encode_cursor(items[-1].pk) if more and items else None)


def notification_of(user: User, notification_id: int) -> Notification | None:
    """The notification `notification_id` if it belongs to `user`."""
    return Notification.objects.filter(pk=notification_id, user=user).first()


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
