"""The outbox consumer of petition events: an in-app notification to the petitioner's account when an officer acts.

Topic `petition.changed` (emitted by `services.record`), key = the petition code; payload keys used here: code,
action, state_label {vi, en}, title, petitioner_id (null for anonymous petitions: no notification).
"""

from __future__ import annotations

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
