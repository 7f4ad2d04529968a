"""Pages of payments: the local sandbox gateway (`/sandbox/pay/<ref>/`, only while PAYMENT_GATEWAY is `sandbox`),
starting a payment from the applicant's dossier page, and receipts. Thin: services write, queries read."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from motcua.core import clock
from motcua.core.errors import DomainError, active_language
from motcua.dossiers import queries as dossier_queries
from motcua.results.views import pdf_response

from . import gateways, queries, receipts, services
from .models import Payment, PaymentStatus, SandboxCharge

SANDBOX_CHOICES = ("pay", "fail", "pending", "lost")


@login_required
@require_POST
def start(request: HttpRequest, code: str) -> HttpResponse:
    """The "Pay fees" button of the applicant's dossier page: to the gateway's page."""
    dossier = dossier_queries.get_visible(request.user, code)
    if dossier is None:
        raise Http404
    try:
        started = services.start(request.user, dossier)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("portal:dossier", code=code)
    return redirect(started.redirect_url)


def _sandbox_charge(reference: str) -> tuple[Payment, SandboxCharge]:
    if settings.MOTCUA_PAYMENT_GATEWAY != "sandbox":
        raise Http404
    payment = get_object_or_404(Payment.objects.select_related("dossier"), reference=reference, gateway="sandbox")
    charge = get_object_or_404(SandboxCharge, reference=reference)
    return payment, charge


@require_http_methods(["GET", "POST"])
def sandbox(request: HttpRequest, reference: str) -> HttpResponse:
    """The stand-in gateway's page: the amount, and Pay / Fail / Leave pending (and "pay, lose the callback", to try
    reconciliation). The outcome is signed with the shared secret and delivered to the callback handler as a gateway's
    server would, then the browser goes back to the dossier."""
    payment, charge = _sandbox_charge(reference)
    back = str(request.GET.get("return") or "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host(), *settings.ALLOWED_HOSTS}):
        back = reverse("portal:dossier", args=[payment.dossier.code])
    if request.method == "GET":
        return render(request, "payments/sandbox.html", {"payment": payment, "charge": charge, "back": back})
    choice = str(request.POST.get("choice", ""))
    if choice not in SANDBOX_CHOICES or charge.status != PaymentStatus.PENDING:
        messages.error(request, _("The sandbox gateway did nothing: this payment is no longer pending."))
        return redirect(back)
    if choice == "pending":
        messages.info(request, _("The payment is still pending at the gateway."))
        return redirect(back)
    charge.status = PaymentStatus.FAILED if choice == "fail" else PaymentStatus.SUCCESS
    charge.transaction_id = f"SBX{secrets.token_hex(6).upper()}"
    charge.updated_at = clock.now()
    charge.save()
    if choice != "lost":
        services.callback("sandbox", gateways.signed({
            "ref": charge.reference, "amount": charge.amount_vnd, "status": charge.status,
            "txn": charge.transaction_id}))
    if charge.status == PaymentStatus.SUCCESS:
        messages.success(request, _("Payment received: your receipt is in the payment history of the dossier.")
                         if choice != "lost" else _("Paid at the gateway; the dossier will show it once reconciled."))
    else:
        messages.error(request, _("The payment failed: nothing was charged. You may try again."))
    return redirect(back)


def _visible_payment(request: HttpRequest, code: str, reference: str) -> Payment:
    dossier = dossier_queries.get_visible(request.user, code)
    payment = queries.successful(dossier, reference) if dossier is not None else None
    if payment is None:
        raise Http404
    return payment


@login_required
def receipt(request: HttpRequest, code: str, reference: str) -> HttpResponse:
    payment = _visible_payment(request, code, reference)
    back = reverse("backoffice:dossier" if request.user.is_staff_member else "portal:dossier", args=[code])
    return HttpResponse(receipts.render_html(payment, active_language(), back_url=back, pdf_url="receipt.pdf"))


@login_required
def receipt_pdf(request: HttpRequest, code: str, reference: str) -> HttpResponse:
    payment = _visible_payment(request, code, reference)
    return pdf_response(receipts.render_pdf(payment, active_language()), f"{payment.receipt_number}.pdf")
