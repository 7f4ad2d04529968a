"""The outbox consumers of petition events: an in-app notification to the petitioner's account, and an e-mail to the
petitioner's address (anonymous petitioners included, with the link that holds their lookup key), when an officer
refuses, asks for information, answers or publishes.

Topic `petition.changed` (emitted by `services.record`), key = the petition code; payload keys used here: code,
action, state_label {vi, en}, title, petitioner_id (null for anonymous petitions: no notification).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.mail import send_mail

from motcua.identity.models import User
from motcua.integrations.models import Notification, OutboxEvent
from motcua.integrations.outbox import PermanentFailure, consumer

PETITION_CHANGED = "petition.changed"
# The officers' actions the petitioner hears about.
NOTIFIED = {"refuse": ("đã bị từ chối", "was refused"),
            "request_info": ("cần bổ sung thông tin", "needs more information"),
            "answer": ("đã được trả lời", "was answered"), "publish": ("đã được công khai trả lời", "answer published")}


@consumer("petition-notifications", topics=[PETITION_CHANGED])
def notify_petitioner(event: OutboxEvent) -> None:
    """One notification per event and account (get_or_create on (event, user): runs twice, writes once)."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    if not payload.get("code"):
        raise PermanentFailure(f"Event #{event.pk} ({event.topic}) has no petition code.")
    words = NOTIFIED.get(str(payload.get("action")))
    user_id = payload.get("petitioner_id")
    if words is None or not isinstance(user_id, int) or isinstance(user_id, bool):
        return
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    code, title = payload["code"], str(payload.get("title") or "")
    Notification.objects.get_or_create(event=event, user=user, defaults={
        "key": code, "topic": event.topic,
        "title_vi": f"Phản ánh, kiến nghị {code} {words[0]}"[:300],
        "title_en": f"Petition {code} {words[1]}"[:300],
        "body_vi": f"Tiêu đề: {title}", "body_en": f"Title: {title}",
    })


def petition_url(code: str, key: str) -> str:
    """The absolute address of the petition's page, with its lookup key."""
    base = str(getattr(settings, "MOTCUA_PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")
    return f"{base}/petitions/{quote(code, safe='')}/?{urlencode({'key': key})}"


@consumer("petition-email", topics=[PETITION_CHANGED], atomic=False)
def email_petitioner(event: OutboxEvent) -> None:
    """An e-mail (Vietnamese, then English) to the petitioner's address; none without one."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    words = NOTIFIED.get(str(payload.get("action")))
    address = str(payload.get("petitioner_email") or "").strip()
    if words is None or not address or not payload.get("code"):
        return
    code, name = payload["code"], str(payload.get("petitioner_name") or "").strip()
    link = petition_url(code, str(payload.get("lookup_key") or ""))
    body = "\n".join([
        f"Kính gửi {name}," if name else "Kính gửi Quý ông/bà,", "",
        f"Phản ánh, kiến nghị {code} {words[0]}.", f"Xem chi tiết tại: {link}", "",
        "Thư này được gửi tự động, xin vui lòng không trả lời.", "", "-----", "",
        f"Dear {name}," if name else "Dear petitioner,", "",
        f"Petition {code}: {words[1]}.", f"See it at: {link}", "",
        "This message was sent automatically; please do not reply.",
    ])
    subject = f"Phản ánh, kiến nghị {code} {words[0]} / Petition {code} {words[1]}"
    send_mail(subject, body, None, [address], fail_silently=False)
