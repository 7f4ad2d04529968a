"""Sync of dossiers to the national public service portal (Cổng dịch vụ công quốc gia, DVCQG).

The national field names (`MaHoSo`, `NgayHenTra`, `TrangThaiHoSo`, ...) appear in this module only: the mapper
turns a dossier and its history into the national vocabulary, the consumer `national_sync` sends it.

Messages (one JSON object per HTTP POST):

    {"event_id": "<outbox event id>-<operation>", "operation": "add" | "update" | "history",
     "dossier": "<dossier code>", "data": {...national fields...}}

- `add`: the first event of a dossier (its submission, history number 1): the whole dossier (`map_dossier`).
- `update`: every later event: the whole dossier again, as it stands when the message is sent.
- `history`: every later event: `{"MaHoSo": code, "QuaTrinhXuLy": [the one history entry of the event]}`.

`event_id` is unique per message, and the same when a message is sent again (a retry, a replay): the receiver drops
the duplicates. Messages of one dossier are sent in event order (the consumer is `ordered`, see outbox), so `add`
comes first; the `add` and `update` messages carry the whole history known when sent, so a receiver keys history
entries on (`MaHoSo`, `ThuTu`).

Times are local time in Vietnam (Asia/Ho_Chi_Minh, UTC+7, no daylight saving) written `yyyyMMddHHmmss`, e.g.
20261123090000, as the national portal's sync interface uses; dates alone `yyyyMMdd`. Flags are 1 / 0.

Without `MOTCUA_NATIONAL_SYNC_URL` the messages are stored in `NationalSyncMessage` (visible in the admin) instead of
sent: the local adapter of development and demos. See docs/decisions/0010-national-sync-and-webhooks.md.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from motcua.core import clock
from motcua.dossiers.models import FINISHED, DigitizedComponent, Dossier, DossierFile, Event

from . import delivery
from .models import OutboxEvent
from .outbox import PermanentFailure, consumer
from .sync_models import NationalSyncMessage

CONSUMER = "national_sync"
TOPICS = ("dossier.status_changed", "dossier.updated")
NATIONAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ADD, UPDATE, HISTORY = "add", "update", "history"


# --- the mapper ---------------------------------------------------------------------------------------------------

def national_time(value: datetime | None) -> str:
    """An instant as yyyyMMddHHmmss in Vietnam's local time; "" when absent."""
    return value.astimezone(NATIONAL_TZ).strftime("%Y%m%d%H%M%S") if value else ""


def national_date(value: date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


def _flag(value: bool) -> int:
    return 1 if value else 0


def map_history(event: Event) -> dict[str, Any]:
    """One processing step of the history (QuaTrinhXuLy), as the national portal records it."""
    return {
        "ThuTu": event.seq,
        "BuocXuLy": event.to_step or event.action,
        "HanhDong": event.action,
        "NguoiXuLy": event.actor_name,
        "DonViXuLy": event.unit.agency_code if event.unit else "",
        "TrangThaiTruoc": event.from_status,
        "TrangThaiSau": event.to_status,
        "ThoiDiemXuLy": national_time(event.at),
        "NoiDungXuLy": event.note if event.public else "",
    }


def _documents(dossier: Dossier) -> tuple[list[dict[str, Any]], bool]:
    """The submitted components (TaiLieuNop) of the dossier's current revision, and whether all are digitized."""
    names = {c.code: c.name_vi for c in dossier.version.components.all()}
    digitized = set(DigitizedComponent.objects.filter(dossier=dossier).values_list("component_code", flat=True))
    files = (DossierFile.objects.filter(dossier=dossier, revision=dossier.revision).select_related("file")
             .order_by("id"))
    rows = [{
        "MaThanhPhan": f.component_code,
        "TenTaiLieu": names.get(f.component_code, f.component_code),
        "TenTep": f.file.original_name,
        "MaHash": f.file.sha256,
        "KichThuoc": f.file.size,
        "DaSoHoa": _flag(f.component_code in digitized or f.reused_from_id is not None),
    } for f in files]
    return rows, bool(rows) and all(row["DaSoHoa"] for row in rows)


def _late(dossier: Dossier) -> bool:
    if dossier.late is not None:
        return dossier.late
    return dossier.status not in FINISHED and dossier.due_at is not None and dossier.due_at < clock.now()


def map_dossier(dossier: Dossier) -> dict[str, Any]:
    """The dossier in the national sync vocabulary, with its whole history, documents, fees and results."""
    documents, all_digitized = _documents(dossier)
    events = list(Event.objects.filter(dossier=dossier).select_related("unit").order_by("seq"))
    # Payments are `pay` events (motcua.payments records online ones with `online`, the desk records the others).
    paid = [e.data or {} for e in events if e.action == "pay"]
    paid = [data for data in paid if data.get("payment_status", "success") == "success"]
    transaction = str(paid[-1].get("transaction_id", "")) if paid else ""
    fees = [{"TenLePhi": fee.name_vi, "MucLePhi": fee.amount_vnd, "DaThanhToan": _flag(bool(paid)),
             "MaGiaoDich": transaction} for fee in dossier.version.fees.all()]
    results = [{
        "MaKetQua": result.code,
        "TenKetQua": result.title,
        "NgayBanHanh": national_time(result.issued_at),
        "NgayHetHieuLuc": national_date(result.valid_until),
        "TrangThaiKetQua": result.state,
    } for result in dossier.results.order_by("number")]
    history = [map_history(e) for e in events]
    return {
        "MaHoSo": dossier.code,
        "MaTTHC": dossier.procedure.code,
        "TenTTHC": dossier.version.name_vi,
        "MaLinhVuc": dossier.version.field.code,
        "TenLinhVuc": dossier.version.field.name_vi,
        "KenhThucHien": dossier.channel,
        "ChuHoSo": dossier.owner_name,
        "SoGiayToChuHoSo": dossier.owner_id_number,
        "DonViXuLy": dossier.current_unit.agency_code,
        "TenDonViXuLy": dossier.current_unit.name_vi,
        "NgayNopHoSo": national_time(dossier.submitted_at),
        "NgayTiepNhan": national_time(dossier.accepted_at),
        "NgayHenTra": national_time(dossier.due_at),
        "NgayKetThucXuLy": national_time(dossier.finished_at),
        "NgayTraKetQua": national_time(dossier.returned_at),
        "TrangThaiHoSo": dossier.status,
        "DaSoHoa": _flag(all_digitized),
        "ThanhToanTrucTuyen": _flag(any(data.get("online") for data in paid)),
        "HoSoTreHan": _flag(_late(dossier)),
        "XinLoi": _flag(dossier.apologies > 0),
        "TaiLieuNop": documents,
        "DanhSachLePhi": fees,
        "DanhSachKetQua": results,
        "QuaTrinhXuLy": history,
    }


def _dossier(code: str) -> Dossier:
    dossier = (Dossier.objects.select_related("procedure", "version__field", "current_unit")
               .filter(code=code).first())
    if dossier is None:
        raise PermanentFailure(f"No dossier {code!r}: nothing to sync.")
    return dossier


def messages_for(event: OutboxEvent) -> list[dict[str, Any]]:
    """The messages announcing `event` (a dossier event) to the national portal, in the order to send them."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    code = str(payload.get("code") or event.key)
    dossier = _dossier(code)
    seq = payload.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise PermanentFailure(f"Event #{event.pk} has no history number (seq) in its payload.")
    if seq == 1:
        return [{"event_id": f"{event.pk}-{ADD}", "operation": ADD, "dossier": code, "data": map_dossier(dossier)}]
    step = Event.objects.filter(dossier=dossier, seq=seq).select_related("unit").first()
    if step is None:
        raise PermanentFailure(f"Dossier {code} has no history event number {seq}.")
    return [
        {"event_id": f"{event.pk}-{UPDATE}", "operation": UPDATE, "dossier": code, "data": map_dossier(dossier)},
        {"event_id": f"{event.pk}-{HISTORY}", "operation": HISTORY, "dossier": code,
         "data": {"MaHoSo": code, "QuaTrinhXuLy": [map_history(step)]}},
    ]


# --- sending ------------------------------------------------------------------------------------------------------

def _auth() -> tuple[dict[str, str], tuple[str, str] | None]:
    token = str(getattr(settings, "MOTCUA_NATIONAL_SYNC_TOKEN", "") or "")
    username = str(getattr(settings, "MOTCUA_NATIONAL_SYNC_USERNAME", "") or "")
    if token:
        return {"Authorization": f"Bearer {token}"}, None
    if username:
        return {}, (username, str(getattr(settings, "MOTCUA_NATIONAL_SYNC_PASSWORD", "") or ""))
    return {}, None


def send(message: dict[str, Any]) -> None:
    """Send one message to the portal, or keep it in the local table when no portal URL is configured."""
    url = str(getattr(settings, "MOTCUA_NATIONAL_SYNC_URL", "") or "")
    if not url:
        NationalSyncMessage.objects.get_or_create(
            message_id=message["event_id"],
            defaults={"operation": message["operation"], "dossier_code": message["dossier"], "body": message})
        return
    headers, auth = _auth()
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    timeout = (float(getattr(settings, "MOTCUA_NATIONAL_SYNC_CONNECT_TIMEOUT", 5)),
               float(getattr(settings, "MOTCUA_NATIONAL_SYNC_TIMEOUT", 30)))
    delivery.post(url, body, {**headers, "X-Motcua-Event-Id": message["event_id"]}, timeout=timeout, auth=auth)


@consumer(CONSUMER, topics=TOPICS, atomic=False, ordered=True)
def sync_dossier(event: OutboxEvent) -> None:
    """Send the messages of one dossier event; a retry sends them all again (the receiver drops duplicates)."""
    for message in messages_for(event):
        send(message)
