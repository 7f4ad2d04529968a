"""The caller's notification settings over the API: `GET/PUT /api/v1/me/notifications`."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.identity.api import AUTH

from . import preferences
from .models import NotificationPreference

router = Router(tags=["notifications"])


class NotificationSettingsOut(Schema):
    email: bool = Field(..., description="E-mail on status changes (to the dossier's e-mail address).")
    sms: bool = Field(..., description="SMS on status changes (to the account's phone).")
    in_app: bool = Field(..., description="In-app notifications (`GET /api/v1/notifications`).")
    language: str = Field(..., description="Language of SMS: vi or en.")
    phone: str = Field(..., description="The account's phone, where SMS go (change it in the account profile).")


class NotificationSettingsIn(Schema):
    email: bool | None = None
    sms: bool | None = None
    in_app: bool | None = None
    language: Literal["vi", "en"] | None = None


def settings_out(preference: NotificationPreference) -> dict[str, Any]:
    return {"email": preference.email, "sms": preference.sms, "in_app": preference.in_app,
            "language": preference.language, "phone": preference.user.phone}


@router.get("/me/notifications", auth=AUTH, response={200: NotificationSettingsOut, 401: ErrorOut, **ERRORS},
            summary="The caller's notification settings (channels and SMS language)")
def get_settings(request: HttpRequest) -> dict[str, Any]:
    return settings_out(preferences.of(request.auth))


@router.put("/me/notifications", auth=AUTH, response={200: NotificationSettingsOut, 401: ErrorOut, **ERRORS},
            summary="Change some of the caller's notification settings (fields left out stay as they are)")
def put_settings(request: HttpRequest, payload: NotificationSettingsIn) -> dict[str, Any]:
    changes = payload.model_dump(exclude_none=True)
    return settings_out(preferences.update(request.auth, changes))
