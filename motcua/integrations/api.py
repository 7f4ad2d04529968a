"""The caller's in-app notifications: list (newest first, keyset pagination) and mark read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field as SchemaField
from ninja import Path, Query, Router, Schema

from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import FieldError, ValidationFailed, active_language
from motcua.identity.api import AUTH

from . import queries, services
from .models import Notification

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    key: str = SchemaField(description="The dossier code the notification is about, or empty.")
    topic: str
    title: str = SchemaField(description="In the language asked for (Accept-Language), Vietnamese by default.")
    title_vi: str
    title_en: str
    body: str
    body_vi: str
    body_en: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Schema):
    items: list[NotificationOut]
    next: str | None = SchemaField(description="Cursor of the next (older) page, or null on the last page.")


class NotificationFilters(Schema):
    unread: bool | None = SchemaField(None, description="true: only unread; false: only read; absent: all.")
    cursor: str = SchemaField("", max_length=40, description="The `next` value of the previous page.")
    limit: int = SchemaField(20, ge=1, le=100)


class NotificationId(Schema):
    id: int = SchemaField(..., ge=1, le=2**63 - 1)


def notification_out(notification: Notification, lang: str) -> dict[str, Any]:
    return {
        "id": notification.pk, "key": notification.key, "topic": notification.topic,
        "title": notification.title(lang), "title_vi": notification.title_vi, "title_en": notification.title_en,
        "body": notification.body(lang), "body_vi": notification.body_vi, "body_en": notification.body_en,
        "created_at": notification.created_at, "read_at": notification.read_at,
    }


@router.get("/notifications", response={200: NotificationPage, 401: ErrorOut, **ERRORS}, auth=AUTH,
            summary="The caller's notifications, newest first")
def list_notifications(request: HttpRequest, filters: Query[NotificationFilters]) -> dict[str, Any]:
    before = None
    if filters.cursor:
        before = queries.decode_cursor(filters.cursor)
        if before is None:
            raise ValidationFailed(_("The request is not valid."), [
                FieldError("cursor", "cursor", _("Not a cursor from a previous page: use the `next` value as is.")),
            ])
    page = queries.notifications_for(request.auth, unread=filters.unread, before=before, limit=filters.limit)
    lang = active_language()
    return {"items": [notification_out(n, lang) for n in page.items], "next": page.next_cursor}


@router.post("/notifications/{id}/read", response={200: NotificationOut, 401: ErrorOut, 404: ErrorOut, **ERRORS},
             auth=AUTH, summary="Mark one of the caller's notifications read")
def read_notification(request: HttpRequest, path: Path[NotificationId]) -> dict[str, Any]:
    notification = services.mark_read(request.auth, path.id)
    return notification_out(notification, active_language())
