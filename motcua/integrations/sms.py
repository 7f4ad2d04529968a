"""SMS notifications: an adapter (`console`: logs the message, the default; `http`: a configurable HTTP gateway) and
the outbox consumer `sms` on `dossier.status_changed`.

The `http` adapter POSTs `{"to": "<phone>", "text": "<message>"}` as JSON to `SMS_HTTP_URL`, with
`Authorization: Bearer <SMS_HTTP_TOKEN>` when a token is set; any answer other than 2xx (or no answer within
`SMS_HTTP_TIMEOUT` seconds) raises, so the outbox retries the delivery with backoff. The message goes to the phone of
the applicant's account (identity.User.phone), in the language of their preferences, without diacritics when
`SMS_ASCII` is on (cheaper 160-character GSM messages); none when the account turned SMS off or has no phone.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from typing import Any, Protocol

from django.conf import settings

from motcua.core.text import without_diacritics
from motcua.identity.models import User

from . import preferences
from .consumers import DOSSIER_STATUS_CHANGED, _payload, render_text, text_context
from .models import OutboxEvent
from .outbox import consumer

logger = logging.getLogger(__name__)

_NOT_DIGITS = re.compile(r"[^\d+]")


class SmsError(RuntimeError):
    """The gateway refused or did not answer: the delivery is retried."""


class SmsBackend(Protocol):
    def send(self, to: str, text: str) -> None: ...


class ConsoleBackend:
    """Logs the message (development, demos)."""

    def send(self, to: str, text: str) -> None:
        logger.info("SMS to %s: %s", to, text)


class HttpBackend:
    def send(self, to: str, text: str) -> None:
        url = str(settings.MOTCUA_SMS_HTTP_URL or "")
        if not url:
            raise SmsError("SMS_HTTP_URL is not set.")
        headers = {"Content-Type": "application/json"}
        if settings.MOTCUA_SMS_HTTP_TOKEN:
            headers["Authorization"] = f"Bearer {settings.MOTCUA_SMS_HTTP_TOKEN}"
        request = urllib.request.Request(url, data=json.dumps({"to": to, "text": text}).encode(), headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=settings.MOTCUA_SMS_HTTP_TIMEOUT) as answer:  # noqa: S310
                status = answer.status
        except urllib.error.HTTPError as exc:
            raise SmsError(f"SMS gateway answered {exc.code}.") from exc
        except OSError as exc:
            raise SmsError(f"SMS gateway unreachable: {exc}") from exc
        if not 200 <= status < 300:
            raise SmsError(f"SMS gateway answered {status}.")


BACKENDS: dict[str, type[ConsoleBackend] | type[HttpBackend]] = {"console": ConsoleBackend, "http": HttpBackend}


def backend() -> SmsBackend:
    return BACKENDS.get(str(settings.MOTCUA_SMS_BACKEND), ConsoleBackend)()


def normalized_phone(phone: str) -> str:
    """Digits (and a leading +) of a phone number; "" when it is too short to be one."""
    digits = _NOT_DIGITS.sub("", phone or "")
    return digits if len(digits.lstrip("+")) >= 9 else ""


def sms_text(payload: dict[str, Any], lang: str) -> str:
    text = render_text(f"status_changed_sms.{lang}.txt", text_context(payload, lang))
    return without_diacritics(text) if settings.MOTCUA_SMS_ASCII else text


@consumer("sms", topics=[DOSSIER_STATUS_CHANGED], atomic=False)
def sms_applicant(event: OutboxEvent) -> None:
    """A short SMS to the applicant's phone, in their language; none without an account, a phone, or with SMS off."""
    payload = _payload(event)
    preference = preferences.of_id(payload.get("applicant_id"))
    if preference is None or not preference.sms:
        return
    phone = normalized_phone(User.objects.filter(pk=preference.user_id).values_list("phone", flat=True).first()
                             or "")
    if not phone:
        return
    backend().send(phone, sms_text(payload, preference.language))
