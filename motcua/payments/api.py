"""Payments over the API: start paying what is due on a dossier, its payments, receipts, and the gateways' signed
callbacks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema
from ninja import Status as Reply

from motcua.core.api_schemas import ERRORS, ErrorOut
from motcua.core.errors import FieldError, NotFound, active_language
from motcua.dossiers import actions
from motcua.dossiers import queries as dossier_queries
from motcua.dossiers.models import Dossier
from motcua.identity.api import AUTH
from motcua.results.views import pdf_response

from . import queries, receipts, services
from .models import Payment

router = Router(tags=["payments"])


class PaymentItemOut(Schema):
    name_vi: str
    name_en: str
    amount_vnd: int


class PaymentOut(Schema):
    reference: str = Field(..., description="The merchant reference sent to the gateway (unique).")
    purpose: str = Field(..., description="`fees` (the procedure's fees) or `obligation` (asked with status 6).")
    amount_vnd: int
    items: list[PaymentItemOut]
    gateway: str
    status: str = Field(..., description="pending, success, failed or expired.")
    transaction_id: str
    receipt_number: str | None
    created_at: datetime
    paid_at: datetime | None


class PaymentDueOut(Schema):
    purpose: str
    amount_vnd: int
    items: list[PaymentItemOut]


class DossierPaymentsOut(Schema):
    due: list[PaymentDueOut] = Field(..., description="What the applicant may pay online now.")
    payments: list[PaymentOut] = Field(..., description="Newest first.")


class PaymentStartedOut(Schema):
    payment: PaymentOut
    redirect_url: str = Field(..., description="Send the payer's browser here (the gateway's page).")


class CallbackIn(Schema):
    ref: str = Field(..., max_length=40)
    amount: str = Field(..., max_length=20, description="VND, a whole number.")
    status: str = Field(..., max_length=10, description="success, failed or pending.")
    txn: str = Field("", max_length=100, description="The gateway's transaction id.")
    signature: str = Field(..., max_length=128, description="Lowercase hex HMAC-SHA256 (see docs/api.md).")


class CallbackOut(Schema):
    reference: str
    status: str
    changed: bool = Field(..., description="False when the payment was already settled (a repeated callback).")


def payment_out(payment: Payment) -> dict[str, Any]:
    return {"reference": payment.reference, "purpose": payment.purpose, "amount_vnd": payment.amount_vnd,
            "items": payment.items, "gateway": payment.gateway, "status": payment.status,
            "transaction_id": payment.transaction_id, "receipt_number": payment.receipt_number,
            "created_at": payment.created_at, "paid_at": payment.paid_at}


def _visible_or_404(request: HttpRequest, code: str) -> Dossier:
    dossier = dossier_queries.get_visible(request.auth, code)
    if dossier is None:
        raise NotFound(_("No dossier of yours has this code."), [FieldError("code", "exists", _("Unknown code."))])
    return dossier


@router.post("/dossiers/{code}/payments", auth=AUTH,
             response={201: PaymentStartedOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="Start paying what is due on a dossier (the applicant): a pending payment and the gateway's URL",
             description="409 (`nothing_due`) when nothing is due. A pending payment of the same amount is reused.")
def start_payment(request: HttpRequest, code: str) -> Any:
    started = services.start(request.auth, _visible_or_404(request, code))
    return Reply(201, {"payment": payment_out(started.payment), "redirect_url": started.redirect_url})


@router.get("/dossiers/{code}/payments", auth=AUTH,
            response={200: DossierPaymentsOut, 401: ErrorOut, 404: ErrorOut, **ERRORS},
            summary="What is due on a dossier and its payments (its applicant and its officers)")
def list_payments(request: HttpRequest, code: str) -> dict[str, Any]:
    dossier = _visible_or_404(request, code)
    due = queries.amounts_due(dossier) if actions.is_party(dossier, request.auth) else []
    return {"due": [{"purpose": d.purpose, "amount_vnd": d.amount_vnd, "items": d.items} for d in due],
            "payments": [payment_out(p) for p in queries.payments_of(dossier)[:100]]}


@router.get("/dossiers/{code}/payments/{reference}/receipt.pdf", auth=AUTH,
            response={401: ErrorOut, 404: ErrorOut, **ERRORS},
            summary="The receipt (biên lai) of a successful payment, as PDF",
            openapi_extra={"responses": {200: {
                "description": "The PDF/A, inline, named `<receipt number>.pdf`.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}})
def receipt_pdf(request: HttpRequest, code: str, reference: str) -> Any:
    payment = queries.successful(_visible_or_404(request, code), reference)
    if payment is None:
        raise NotFound(_("This dossier has no successful payment with this reference."), [
            FieldError("reference", "exists", _("Unknown reference, or the payment did not succeed.")),
        ])
    return pdf_response(receipts.render_pdf(payment, active_language()), f"{payment.receipt_number}.pdf")


@router.post("/payments/callback/{gateway}", auth=None,
             response={200: CallbackOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="A payment gateway's signed callback (server to server; public, signature-checked)",
             description="403 (rule `signature`) when the HMAC-SHA256 signature does not match, 404 for an unknown "
                         "gateway or reference, 409 (rule `matches`) when the amount differs: nothing is written. "
                         "A callback delivered twice settles the payment once (`changed: false` the second time).")
def payment_callback(request: HttpRequest, gateway: str, payload: CallbackIn) -> dict[str, Any]:
    payment, changed = services.callback(gateway, payload.model_dump())
    return {"reference": payment.reference, "status": payment.status, "changed": changed}
