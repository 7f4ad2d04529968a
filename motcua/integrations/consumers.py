"""The outbox consumers of dossier events: in-app notifications and e-mail to the applicant.

Topic `dossier.status_changed` (`DOSSIER_STATUS_CHANGED`) — emitted by the dossiers app in the transaction that changes
a dossier's status, with `key` = the dossier code and this payload (plain JSON; `StatusChangedPayload`):

    {
      "code": str,                              dossier code (also the event key)
      "status": int,                            new status number (1 submitted, 2 accepted, ... 10 returned)
      "status_label": {"vi": str, "en": str},   the new status in words
      "previous_status": int | null,            null when the dossier was just created
      "action": str,                            machine name of what happened, e.g. "submit", "accept", "refuse"
      "procedure_code": str,
      "procedure_name": {"vi": str, "en": str},
      "applicant_id": int | null,               the applicant's account (identity.User); null: no in-app notification
      "applicant_email": str,                   "" when the applicant has none: no e-mail is sent
      "applicant_name": str,
      "lookup_key": str,                        the key of the public tracking page
      "due_at": str | null,                     ISO 8601 with offset: when the result is due, if known
      "note": str,                              officer's note or reasons, "" when none
      "at": str                                 ISO 8601 with offset: when the change happened
    }

Other keys may be present (the dossiers app adds e.g. "unit", "channel", "seq"); consumers ignore them. A payload
without "code", "status_label" or "procedure_name" cannot be written about: its deliveries fail at once
(`PermanentFailure`) and show in the admin.

Texts: a notification stores its title and body in Vietnamese (`title_vi`, `body_vi`) and in English (`title_en`,
`body_en`); pages and the API show the reader's language. An e-mail carries Vietnamese first, then English, in one
message. These texts are templates in both languages (`templates/notifications/*.txt`: content sent to people, not UI
strings). Each channel honours the applicant's preferences (`preferences.py`); SMS is in `sms.py`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, TypedDict
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from motcua.identity.models import User

from . import preferences
from .models import Notification, OutboxEvent
from .outbox import PermanentFailure, consumer

logger = logging.getLogger(__name__)

DOSSIER_STATUS_CHANGED = "dossier.status_changed"


class Bilingual(TypedDict):
    vi: str
    en: str


class StatusChangedPayload(TypedDict):
    code: str
    status: int
    status_label: Bilingual
    previous_status: int | None
    action: str
    procedure_code: str
    procedure_name: Bilingual
    applicant_id: int | None
    applicant_email: str
    applicant_name: str
    lookup_key: str
    due_at: str | None
    note: str
    at: str


REQUIRED_KEYS = ("code", "status_label", "procedure_name")


def _payload(event: OutboxEvent) -> dict[str, Any]:
    """The event's payload, checked enough to write about it; a payload that cannot be read fails at once."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    missing = [key for key in REQUIRED_KEYS if payload.get(key) in (None, "")]
    if missing:
        raise PermanentFailure(f"Event #{event.pk} ({event.topic}) lacks {', '.join(missing)} in its payload.")
    for key in ("status_label", "procedure_name"):
        if not isinstance(payload[key], dict):
            raise PermanentFailure(f"Event #{event.pk}: {key} must be an object {{vi, en}}.")
    return payload


def _text(value: dict[str, str], lang: str) -> str:
    return str(value.get(lang) or value.get("vi") or value.get("en") or "")


def _local_time(value: str | None) -> str:
    """An ISO instant as dd/mm/yyyy HH:MM in the local time zone; "" when absent or unreadable."""
    if not value:
        return ""
    try:
        instant = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return ""
    if timezone.is_naive(instant):
        instant = instant.replace(tzinfo=UTC)
    return timezone.localtime(instant).strftime("%d/%m/%Y %H:%M")


def tracking_url(code: str, lookup_key: str) -> str:
    """The absolute address of the public tracking page of a dossier."""
    base = str(getattr(settings, "MOTCUA_PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")
    url = f"{base}/track/{quote(code, safe='')}"
    return f"{url}?{urlencode({'key': lookup_key})}" if lookup_key else url


def render_text(name: str, context: dict[str, Any]) -> str:
    """A notification text from `integrations/templates/notifications/<name>` (plain text, no HTML escaping)."""
    return render_to_string(f"notifications/{name}", context).strip()


def text_context(payload: dict[str, Any], lang: str) -> dict[str, Any]:
    """What the templates of a status change say, in `lang`."""
    return {"code": payload["code"], "status": _text(payload["status_label"], lang),
            "procedure": _text(payload["procedure_name"], lang), "due": _local_time(payload.get("due_at")),
            "note": str(payload.get("note") or "").strip(),
            "link": tracking_url(payload["code"], str(payload.get("lookup_key") or ""))}


def status_texts(payload: dict[str, Any]) -> dict[str, str]:
    """Title and body of a status change, in Vietnamese and English: keys title_vi, title_en, body_vi, body_en
    (templates `notifications/status_changed_title.<lang>.txt` and `notifications/status_changed.<lang>.txt`)."""
    texts = {}
    for lang in ("vi", "en"):
        context = text_context(payload, lang)
        texts[f"title_{lang}"] = render_text(f"status_changed_title.{lang}.txt", context)
        texts[f"body_{lang}"] = render_text(f"status_changed.{lang}.txt", context)
    return texts


@consumer("notifications", topics=[DOSSIER_STATUS_CHANGED])
def notify_applicant(event: OutboxEvent) -> None:
    """One in-app notification for the applicant per event (get_or_create on (event, user): runs twice, writes once)."""
    payload = _payload(event)
    if payload.get("applicant_id") is None:
        return
    if not isinstance(payload["applicant_id"], int) or isinstance(payload["applicant_id"], bool):
        raise PermanentFailure(f"Event #{event.pk}: applicant_id must be an account id (an integer) or null.")
    user = User.objects.filter(pk=payload["applicant_id"]).first()
    if user is None:
        logger.warning("Event #%s: applicant %s no longer exists; no notification.", event.pk, payload["applicant_id"])
        return
    if not preferences.wants(user.pk, "in_app"):
        return
    texts = status_texts(payload)
    Notification.objects.get_or_create(
        event=event, user=user,
        defaults={"key": event.key or payload["code"], "topic": event.topic,
                  "title_vi": texts["title_vi"][:300], "title_en": texts["title_en"][:300],
                  "body_vi": texts["body_vi"], "body_en": texts["body_en"]},
    )


@consumer("email", topics=[DOSSIER_STATUS_CHANGED], atomic=False)
def email_applicant(event: OutboxEvent) -> None:
    """An e-mail to the applicant (Vietnamese, then English) with the tracking link; none without an address."""
    payload = _payload(event)
    address = str(payload.get("applicant_email") or "").strip()
    if not address:
        return
    if not preferences.wants(payload.get("applicant_id"), "email"):
        return
    texts = status_texts(payload)
    link = tracking_url(payload["code"], str(payload.get("lookup_key") or ""))
    name = str(payload.get("applicant_name") or "").strip()
    subject = f"{texts['title_vi']} / {texts['title_en']}".replace("\n", " ").replace("\r", " ")
    body = render_text("status_changed_email.txt", {"name": name, "link": link, **texts})
    send_mail(subject, body, None, [address], fail_silently=False)
