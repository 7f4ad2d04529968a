"""Changes made in the Django admin go to the audit log too (admin writes bypass the services' own records)."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import LogEntry

from . import services

_ACTIONS = {1: "admin_add", 2: "admin_change", 3: "admin_delete"}


def admin_change(sender: type, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    services.record(
        _ACTIONS.get(instance.action_flag, "admin_action"), actor=instance.user,
        object_type=instance.content_type.model if instance.content_type_id else "",
        object_id=instance.object_id or "", data={"object": instance.object_repr, "change": instance.change_message},
    )
