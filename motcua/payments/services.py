"""Every write of payments: start one for what is due on a dossier, settle it from a signed callback or from
reconciliation (exactly once), and expire the ones left pending too long.

Settling locks the payment row (`SELECT ... FOR UPDATE`) and changes it only while it is pending, so a callback
delivered twice, or racing a reconciliation, settles it once; a success on a dossier waiting for its financial
obligation (status 6) performs the dossier's `pay` action through the dossiers services (history, outbox and the
clock's resumption happen once, with it), other successes append a `pay` event without changing the status.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import Conflict, FieldError, NotFound, PermissionDenied
from motcua.dossiers import actions
from motcua.dossiers.models import Dossier, Status
from motcua.dossiers.services import Actor, record
from motcua.identity.models import User

from . import gateways, queries
from .models import Payment, PaymentStatus, Purpose

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Started:
    payment: Payment
    redirect_url: str


def new_reference() -> str:
    """A merchant reference: letters and digits only (what gateways accept), unique."""
    return f"MC{clock.now():%y%m%d%H%M%S}{secrets.token_hex(5).upper()}"


def start(user: User, dossier: Dossier, gateway: str | None = None) -> Started:
    """Start paying what is due on `dossier` (the applicant's side only): a pending payment and the address of the
    gateway's page. A pending payment of the same amount due at the same gateway is reused, not duplicated."""
    if not actions.is_party(dossier, user):
        raise PermissionDenied(_("Only the applicant pays the fees of a dossier."), [
            FieldError("code", "applicant", _("Not the applicant of this dossier.")),
        ])
    due = queries.amounts_due(dossier)
    if not due:
        raise Conflict(_("Nothing is due on this dossier."), [
            FieldError("code", "nothing_due", _("No fee or financial obligation is waiting for payment.")),
        ])
    adapter = gateways.get(gateway) if gateway else gateways.default()
    item = due[0]
    payment = Payment.objects.filter(
        dossier=dossier, purpose=item.purpose, request_seq=item.request_seq, amount_vnd=item.amount_vnd,
        gateway=adapter.name, status=PaymentStatus.PENDING).order_by("-id").first()
    if payment is None:
        payment = Payment.objects.create(
            dossier=dossier, purpose=item.purpose, request_seq=item.request_seq, amount_vnd=item.amount_vnd,
            items=item.items, gateway=adapter.name, reference=new_reference(), created_by=user,
            created_at=clock.now())
        from .tasks import schedule_reconciliation  # the task module imports this one

        transaction.on_commit(schedule_reconciliation)
    return_url = gateways.public_url(reverse("portal:dossier", args=[dossier.code]))
    return Started(payment, adapter.create(payment, return_url))


@transaction.atomic
def settle(gateway: str, outcome: gateways.Outcome, source: str = "callback") -> tuple[Payment, bool]:
    """Record what the gateway says of a payment; (payment, whether this call changed it). A pending outcome changes
    nothing; a payment already settled stays as it is (a late success still settles an expired one: the money was
    taken). 404 for an unknown reference, 409 when the amount differs from the payment's."""
    payment = (Payment.objects.select_for_update(of=("self",)).select_related("dossier")
               .filter(reference=outcome.reference, gateway=gateway).first())
    if payment is None:
        raise NotFound(_("No payment has this reference."), [FieldError("ref", "exists", _("Unknown reference."))])
    if outcome.amount_vnd is not None and outcome.amount_vnd != payment.amount_vnd:
        raise Conflict(_("The amount paid differs from the amount due: nothing was recorded."), [
            FieldError("amount", "matches", _("Must equal the payment's amount.")),
        ])
    late_success = payment.status == PaymentStatus.EXPIRED and outcome.status == PaymentStatus.SUCCESS
    if outcome.status == PaymentStatus.PENDING or (payment.status != PaymentStatus.PENDING and not late_success):
        return payment, False
    now = clock.now()
    payment.status = outcome.status
    payment.transaction_id = outcome.transaction_id[:100]
    payment.settled_at, payment.settled_by = now, source
    if outcome.status == PaymentStatus.SUCCESS:
        payment.paid_at = now
        payment.receipt_number = f"BL{now:%y%m%d}-{payment.pk:08d}"
    payment.save()
    if outcome.status == PaymentStatus.SUCCESS:
        _record_on_dossier(payment)
    logger.info("Payment %s settled %s by %s.", payment.reference, payment.status, source)
    return payment, True


def _record_on_dossier(payment: Payment) -> None:
    """The dossier records the online payment: its `pay` action when it waits for this obligation, else an event."""
    dossier = Dossier.objects.select_for_update(of=("self",)).select_related(
        "version", "procedure", "current_unit", "applicant").get(pk=payment.dossier_id)
    actor = Actor(payment.created_by, "gateway")
    payload = {"transaction_id": payment.transaction_id, "gateway": payment.gateway,
               "reference": payment.reference, "receipt": payment.receipt_number,
               "amount_vnd": payment.amount_vnd, "note": str(_("Paid online"))}
    if (payment.purpose == Purpose.OBLIGATION and dossier.status == Status.PAYMENT
            and queries.open_request_seq(dossier) == payment.request_seq):
        actions.perform(dossier, actor, "pay", payload)
        return
    data = {k: payload[k] for k in ("transaction_id", "gateway", "reference", "receipt", "amount_vnd")}
    record(dossier, "pay", actor, dossier.status, note=payload["note"],
           data={**data, "payment_status": "success", "online": True, "purpose": payment.purpose})


def callback(gateway: str, fields: dict[str, str]) -> tuple[Payment, bool]:
    """A gateway's signed callback: checked (403/422, nothing written), then settled."""
    adapter = gateways.get(gateway)
    return settle(adapter.name, adapter.verify_callback(fields), "callback")


@dataclass
class Reconciled:
    asked: int = 0
    settled: int = 0
    expired: int = 0
    errors: int = 0


def reconcile(older_than_minutes: int | None = None, expire_after_minutes: int | None = None) -> Reconciled:
    """Ask the gateways about payments pending for more than `older_than_minutes` and settle them; expire those still
    pending after `expire_after_minutes`. Safe beside callbacks and other runs (each settles under the row lock)."""
    older = settings.MOTCUA_PAYMENT_RECONCILE_MINUTES if older_than_minutes is None else older_than_minutes
    expire = settings.MOTCUA_PAYMENT_EXPIRE_MINUTES if expire_after_minutes is None else expire_after_minutes
    now = clock.now()
    done = Reconciled()
    pending = Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lte=now - timedelta(minutes=older))
    for payment in pending.order_by("id").iterator():
        done.asked += 1
        try:
            outcome = gateways.get(payment.gateway).query(payment.reference)
        except gateways.GatewayError as exc:
            logger.warning("Reconciliation: %s", exc)
            done.errors += 1
            continue
        if outcome.status != PaymentStatus.PENDING:
            try:
                _payment, changed = settle(payment.gateway, outcome, "reconciliation")
            except (Conflict, NotFound) as exc:
                logger.warning("Reconciliation of %s: %s", payment.reference, exc)
                done.errors += 1
                continue
            done.settled += changed
        elif payment.created_at <= now - timedelta(minutes=expire):
            # Conditional: a callback that settled it meanwhile wins.
            done.expired += Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
                status=PaymentStatus.EXPIRED, settled_at=now, settled_by="reconciliation")
    return done
