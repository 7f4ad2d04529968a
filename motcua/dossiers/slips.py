"""Printable slips of a dossier (phiếu) and the readable form of its history.

Each slip is drawn from the history event that issued it: the receipt and appointment slip from `accept`, the
supplement request from the last `request_supplement`, the refusal from `refuse`, the apology with a new date from
`apology`, the notice of denial from `deny`, the stop notice from `withdraw` or `stop`; the processing control slip
from the step records. Every slip carries the national header, the unit, the date and the dossier code.

`context` gathers what a slip says, once, for both of its forms: the HTML page (`render`: the dossier code as an inline
QR code, links back and to the PDF) and the print layout that `motcua.results.rendering` turns into a PDF
(`print_html`: no QR, the page leaves the seal box of page 1 blank for the verification QR stamped later).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import segno
from django.template.loader import render_to_string
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from motcua.catalog.process import process_of_version
from motcua.core import clock

from .models import Channel, Dossier, Event, Status

# kind -> (the actions whose event issues it, title)
KINDS: dict[str, tuple[tuple[str, ...], Promise]] = {
    "receipt": (("accept",), _("Receipt and appointment slip")),
    "supplement": (("request_supplement",), _("Request to supplement and complete the dossier")),
    "refusal": (("refuse",), _("Refusal to accept the dossier")),
    "apology": (("apology",), _("Apology and new appointment date")),
    "denial": (("deny",), _("Notice of denial")),
    "stop": (("withdraw", "stop"), _("Notice of stopped processing")),
    "control": ((), _("Processing control slip")),
}

EVENT_LABELS: dict[str, Promise] = {
    "submit": _("Dossier submitted"),
    "accept": _("Dossier accepted, receipt issued"),
    "request_supplement": _("Supplement requested"),
    "refuse": _("Dossier not accepted"),
    "supplement": _("Dossier supplemented"),
    "withdraw": _("Withdrawal requested"),
    "complete_step": _("Step completed"),
    "transfer": _("Transferred to another unit"),
    "request_payment": _("Payment requested"),
    "pay": _("Paid"),
    "approve": _("Approved"),
    "deny": _("Denied"),
    "return_result": _("Result returned"),
    "stop": _("Processing stopped"),
    "apology": _("Apology with a new date"),
    "cancel_result": _("Result cancelled"),
    "replace_result": _("Result replaced by a new one"),
    "digitize": _("Paper components scanned at the desk"),
}

ROLE_LABELS: dict[str, Promise] = {
    "applicant": _("Applicant"), "onestop": _("One-stop officer"), "handler": _("Handler"),
    "leader": _("Leader (approver)"), "system": _("System"),
}

RETURN_METHODS: dict[str, Promise] = {
    "online": _("Online"), "desk": _("At the one-stop desk"), "post": _("By public postal service"),
}


def event_label(action: str) -> str:
    return str(EVENT_LABELS.get(action, action))


def status_label(status: int | None) -> str:
    return str(Status(status).label) if status in Status.values else ""


def step_names(dossier: Dossier, lang: str) -> dict[str, str]:
    process = process_of_version(dossier.version)
    return {s.code: (s.name.en if lang == "en" and s.name.en else s.name.vi) for s in process.steps}


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def timeline(events: Any, lang: str) -> list[dict[str, Any]]:
    """The history as the pages show it: who did what when, the status change, the note and the action's facts."""
    rows = []
    for event in events:
        data = event.data or {}
        facts: list[tuple[str, Any]] = []
        if data.get("due_at"):
            facts.append((str(_("Due date")), _instant(data["due_at"])))
        if data.get("previous_due_at"):
            facts.append((str(_("Previous due date")), _instant(data["previous_due_at"])))
        if data.get("new_due_at"):
            facts.append((str(_("New due date")), _instant(data["new_due_at"])))
        if data.get("amount_vnd"):
            facts.append((str(_("Amount")), f"{int(data['amount_vnd']):,}".replace(",", ".") + " ₫"))
        if data.get("method"):
            facts.append((str(_("Method")), str(RETURN_METHODS.get(data["method"], data["method"]))))
        if data.get("to_unit"):
            facts.append((str(_("Transfer")), f"{data.get('from_unit', '')} → {data['to_unit']}"))
        if data.get("transaction_id"):
            facts.append((str(_("Transaction")), data["transaction_id"]))
        if data.get("components"):
            facts.append((str(_("Components given")), ", ".join(data["components"])))
        scans = data.get("scans") or []
        if any(item.get("files") for item in scans):
            facts.append((str(_("Pages scanned")), ", ".join(
                f"{item['code']} ({len(item['files'])})" for item in scans if item.get("files"))))
        if any(item.get("digitized") for item in scans):
            facts.append((str(_("Components digitized")), ", ".join(
                item["code"] for item in scans if item.get("digitized"))))
        if data.get("repeat"):
            facts.append((str(_("Repeated request")), str(_("Yes"))))
        rows.append({
            "seq": event.seq, "at": event.at, "action": event.action, "label": event_label(event.action),
            "actor": event.actor_name, "role": str(ROLE_LABELS.get(event.actor_role, event.actor_role)),
            "unit": event.unit.name(lang) if event.unit else "", "from_status": status_label(event.from_status),
            "to_status": status_label(event.to_status), "changed": event.from_status != event.to_status,
            "note": "" if data.get("reasons") else event.note, "items": data.get("items") or [],
            "reasons": data.get("reasons") or [], "facts": facts, "public": event.public,
        })
    return rows


def qr_svg(text: str) -> SafeString:
    """`text` as a QR code, inline SVG (a full QR code: phones do not read Micro QR)."""
    return mark_safe(segno.make(text, micro=False).svg_inline(scale=3))  # noqa: S308 - segno's own markup


def last_event(dossier: Dossier, actions: tuple[str, ...]) -> Event | None:
    return dossier.events.select_related("unit").filter(action__in=actions).order_by("-seq").first()


def available(dossier: Dossier) -> list[tuple[str, str]]:
    """(kind, title) of the slips the dossier has, in the order of KINDS."""
    done = set(dossier.events.values_list("action", flat=True).distinct())
    return [(kind, str(title)) for kind, (actions, title) in KINDS.items()
            if not actions or done & set(actions)]


def context(dossier: Dossier, kind: str, lang: str, *, staff: bool = False) -> dict[str, Any] | None:
    """What the slip says (shared by the HTML page and the PDF), or None when the dossier has no event that issues a
    slip of this kind. The applicant's control slip lists the public events only (as their timeline does); `staff`
    shows every event."""
    if kind not in KINDS:
        return None
    actions, title = KINDS[kind]
    event = last_event(dossier, actions) if actions else None
    if actions and event is None:
        return None
    result: dict[str, Any] = {
        "dossier": dossier, "kind": kind, "title": str(title), "event": event,
        "unit": (event.unit if event and event.unit else dossier.receiving_unit).name(lang),
        "issued_at": event.at if event else clock.now(), "procedure_name": dossier.version.text("name", lang),
        "channel": Channel(dossier.channel).label if dossier.channel in Channel.values else "",
        "status": status_label(dossier.status), "data": event.data if event else {},
    }
    if kind == "receipt":
        result.update(_receipt(dossier, event, lang))
    elif kind == "apology":
        result["previous_due_at"] = _instant(event.data.get("previous_due_at"))
        result["new_due_at"] = _instant(event.data.get("new_due_at"))
    elif kind == "control":
        result["steps"] = _control_steps(dossier, step_names(dossier, lang))
        events = dossier.events.select_related("unit").order_by("seq")
        result["history"] = timeline(events if staff else events.filter(public=True), lang)
    return result


def render(dossier: Dossier, kind: str, lang: str, *, back_url: str = "", staff: bool = False) -> str | None:
    """The slip's HTML page, or None when the dossier has no such slip. With a `back_url`, the page links back to the
    dossier and to its PDF (`<kind>.pdf` next to the page's own `<kind>/`)."""
    found = context(dossier, kind, lang, staff=staff)
    if found is None:
        return None
    found.update(qr=qr_svg(dossier.code), back_url=back_url, pdf_url=f"../{kind}.pdf" if back_url else "")
    return render_to_string(f"dossiers/slips/{kind}.html", found)


def print_html(slip: dict[str, Any]) -> str:
    """The slip of `context` in its print layout (A4, fonts that cover Vietnamese, no QR code: the PDF's seal box
    takes its place), as the HTML the PDF renderer reads. Render in the slip's language."""
    return render_to_string(f"dossiers/slips/{slip['kind']}.html", {**slip, "pdf": True})


def _receipt(dossier: Dossier, event: Event, lang: str) -> dict[str, Any]:
    """The components received by the time of acceptance (files per component, in the procedure's order)."""
    counts = Counter(dossier.files.filter(created_at__lte=event.at).values_list("component_code", flat=True))
    received = []
    for component in dossier.version.components.all():
        if counts.get(component.code):
            name = component.name_en if lang == "en" and component.name_en else component.name_vi
            received.append((name, counts.pop(component.code)))
    received += sorted(counts.items())  # components the version no longer lists
    return {"due_at": _instant(event.data.get("due_at")) or dossier.due_at, "received": received,
            "time_limit": dossier.version}


def _control_steps(dossier: Dossier, names: dict[str, str]) -> list[dict[str, Any]]:
    """Each pass through a step: unit, start, deadline, end, who ended it, and whether it kept its deadline.

    Who ended a step is read from the history: the first event, at or after the step's end, that left it (or
    transferred it to another unit)."""
    now = clock.now()
    events = [e for e in dossier.events.order_by("seq").values("seq", "at", "action", "from_step", "to_step",
                                                               "actor_name")
              if e["from_step"] != e["to_step"] or e["action"] == "transfer"]
    used: set[int] = set()
    rows = []
    for record in dossier.steps.select_related("unit"):
        by = ""
        if record.finished_at is not None:
            closing = next((e for e in events if e["seq"] not in used and e["from_step"] == record.step
                            and e["at"] >= record.finished_at), None)
            if closing is not None:
                used.add(closing["seq"])
                by = closing["actor_name"]
        if record.due_at is None:
            verdict = ""
        elif record.finished_at is not None:
            verdict = "on_time" if record.finished_at <= record.due_at else "late"
        else:
            verdict = "overdue" if now > record.due_at else "running"
        rows.append({"name": names.get(record.step, record.step), "unit": record.unit, "started_at": record.started_at,
                     "due_at": record.due_at, "finished_at": record.finished_at, "by": by, "verdict": verdict})
    return rows


def render_for(user: Any, code: str, kind: str, lang: str, *, back_url: str) -> str | None:
    """The slip of the dossier `code` as `user` may see it (officers: every event), or None when the dossier is not
    visible to them or has no such slip."""
    from .queries import get_visible

    dossier = get_visible(user, code)
    if dossier is None:
        return None
    return render(dossier, kind, lang, back_url=back_url, staff=user.is_staff_member)
