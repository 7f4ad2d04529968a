"""Reads of payments: what is due on a dossier, its payments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from motcua.dossiers.models import Channel, Dossier, Status

from .models import Payment, PaymentStatus, Purpose


@dataclass(frozen=True)
class Due:
    purpose: str
    amount_vnd: int
    request_seq: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)


def fee_items(dossier: Dossier) -> list[dict[str, Any]]:
    return [{"name_vi": fee.name_vi, "name_en": fee.name_en or fee.name_vi, "amount_vnd": fee.amount_vnd}
            for fee in dossier.version.fees.all() if fee.amount_vnd > 0]


def open_request_seq(dossier: Dossier) -> int | None:
    """The history seq of the `request_payment` a dossier in status 6 waits on."""
    return dossier.events.filter(action="request_payment").order_by("-seq").values_list("seq", flat=True).first()


def _paid(dossier: Dossier, purpose: str, request_seq: int) -> bool:
    return Payment.objects.filter(dossier=dossier, purpose=purpose, request_seq=request_seq,
                                  status=PaymentStatus.SUCCESS).exists()


def amounts_due(dossier: Dossier) -> list[Due]:
    """What the applicant may pay online now: the financial obligation of a dossier in status 6, else the procedure's
    fees of an online dossier still open (with `PAYMENT_FEES_AT_SUBMISSION`), each until paid once."""
    if dossier.status == Status.PAYMENT:
        event = dossier.events.filter(action="request_payment").order_by("-seq").first()
        if event is None or _paid(dossier, Purpose.OBLIGATION, event.seq):
            return []
        amount = int(event.data.get("amount_vnd") or 0)
        items = fee_items(dossier)
        if sum(i["amount_vnd"] for i in items) != amount:
            items = [{"name_vi": "Nghĩa vụ tài chính", "name_en": "Financial obligation", "amount_vnd": amount}]
        return [Due(Purpose.OBLIGATION, amount, event.seq, items)] if amount > 0 else []
    if not settings.MOTCUA_PAYMENT_FEES_AT_SUBMISSION or dossier.channel != Channel.ONLINE or not dossier.is_active:
        return []
    items = fee_items(dossier)
    total = sum(i["amount_vnd"] for i in items)
    if total <= 0 or _paid(dossier, Purpose.FEES, 0):
        return []
    return [Due(Purpose.FEES, total, 0, items)]


def payments_of(dossier: Dossier) -> QuerySet[Payment]:
    return Payment.objects.filter(dossier=dossier).order_by("-id")


def successful(dossier: Dossier, reference: str) -> Payment | None:
    return Payment.objects.filter(dossier=dossier, reference=reference, status=PaymentStatus.SUCCESS).first()
