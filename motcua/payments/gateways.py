"""Payment gateway adapters: start a payment (a URL to send the browser to), check a signed callback, ask about a
payment (reconciliation).

Signature (like VNPay's `vnp_SecureHash`, with HMAC-SHA256): the fields other than `signature`, sorted by name, each
`name=value` with the value percent-encoded (RFC 3986, UTF-8), joined with `&`; `signature` is the lowercase hex
HMAC-SHA256 of that string under the secret shared with the gateway. A callback carries `ref` (our merchant
reference), `amount` (VND, whole number), `status` (`success`, `failed` or `pending`) and `txn` (the gateway's
transaction id). Adapters: `sandbox` (the local stand-in gateway of `/sandbox/pay/...`, default) and `http` (a real
gateway reached over HTTP, see docs/api.md "Payments").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import DomainError, FieldError, NotFound, PermissionDenied, ValidationFailed

from .models import Payment, PaymentStatus, SandboxCharge

logger = logging.getLogger(__name__)

CALLBACK_FIELDS = ("ref", "amount", "status", "txn")
GATEWAY_STATUSES = (PaymentStatus.SUCCESS, PaymentStatus.FAILED, PaymentStatus.PENDING)


class GatewayError(RuntimeError):
    """The gateway could not be reached or answered something unreadable (reconciliation tries again later)."""


@dataclass(frozen=True)
class Outcome:
    """What a gateway says of a payment."""

    reference: str
    status: str
    transaction_id: str
    amount_vnd: int | None


def canonical(fields: Mapping[str, Any]) -> str:
    return "&".join(f"{name}={quote(str(fields[name]), safe='')}" for name in sorted(fields) if name != "signature")


def secret() -> bytes:
    """The secret shared with the gateway; without one (the sandbox, development), one derived from SECRET_KEY."""
    configured = str(getattr(settings, "MOTCUA_PAYMENT_SECRET", "") or "")
    if configured:
        return configured.encode()
    return hashlib.sha256(f"motcua-payment-sandbox:{settings.SECRET_KEY}".encode()).hexdigest().encode()


def sign(fields: Mapping[str, Any], key: bytes | None = None) -> str:
    return hmac.new(key or secret(), canonical(fields).encode(), hashlib.sha256).hexdigest()


def signed(fields: Mapping[str, Any], key: bytes | None = None) -> dict[str, str]:
    out = {name: str(value) for name, value in fields.items() if name != "signature"}
    out["signature"] = sign(out, key)
    return out


def verify(fields: Mapping[str, Any], key: bytes | None = None) -> Outcome:
    """The outcome a signed message reports; 403 (rule `signature`) when the signature does not match, 422 naming the
    field when a field is missing or malformed. Nothing is written either way."""
    given = str(fields.get("signature") or "")
    if not given or not hmac.compare_digest(sign(fields, key), given.lower()):
        raise PermissionDenied(_("The callback's signature is not valid: nothing was recorded."), [
            FieldError("signature", "signature",
                       _("HMAC-SHA256 of the sorted fields under the shared secret does not match.")),
        ])
    errors = [FieldError(name, "required", _("This is required.")) for name in ("ref", "amount", "status")
              if not str(fields.get(name) or "")]
    amount = str(fields.get("amount") or "")
    if amount and not amount.isdigit():
        errors.append(FieldError("amount", "integer", _("The amount must be a whole number of VND.")))
    if fields.get("status") and fields["status"] not in GATEWAY_STATUSES:
        errors.append(FieldError("status", "choice", _("The status must be success, failed or pending.")))
    if errors:
        raise ValidationFailed(_("The callback is not valid."), errors)
    return Outcome(str(fields["ref"]), str(fields["status"]), str(fields.get("txn") or ""), int(amount))


def public_url(path: str) -> str:
    return str(getattr(settings, "MOTCUA_PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/") + path


class Gateway(Protocol):
    name: str

    def create(self, payment: Payment, return_url: str) -> str:
        """The address to send the payer's browser to."""
        ...

    def verify_callback(self, fields: Mapping[str, Any]) -> Outcome:
        """The outcome a callback reports, its signature checked (403 / 422 otherwise)."""
        ...

    def query(self, reference: str) -> Outcome:
        """Ask the gateway about a payment (reconciliation); GatewayError when it cannot answer."""
        ...


class SandboxGateway:
    """The local stand-in: a page of this site shows the amount and lets the payer pay, fail or leave it pending."""

    name = "sandbox"

    def create(self, payment: Payment, return_url: str) -> str:
        SandboxCharge.objects.get_or_create(reference=payment.reference, defaults={
            "amount_vnd": payment.amount_vnd, "updated_at": clock.now()})
        return reverse("payments:sandbox", args=[payment.reference]) + "?" + urlencode({"return": return_url})

    def verify_callback(self, fields: Mapping[str, Any]) -> Outcome:
        return verify(fields)

    def query(self, reference: str) -> Outcome:
        charge = SandboxCharge.objects.filter(reference=reference).first()
        if charge is None:
            return Outcome(reference, PaymentStatus.PENDING, "", None)
        return Outcome(reference, charge.status, charge.transaction_id, charge.amount_vnd)


class HttpGateway:
    """A real gateway: the browser goes to `<PAYMENT_HTTP_URL>/pay?<signed fields>`; the gateway calls back
    `POST /api/v1/payments/callback/http`; `GET <PAYMENT_HTTP_URL>/query?<signed merchant, ref>` answers a signed JSON
    object with the callback's fields."""

    name = "http"

    @property
    def base(self) -> str:
        url = str(getattr(settings, "MOTCUA_PAYMENT_HTTP_URL", "") or "").rstrip("/")
        if not url:
            raise GatewayError("PAYMENT_HTTP_URL is not set.")
        return url

    def create(self, payment: Payment, return_url: str) -> str:
        return f"{self.base}/pay?" + urlencode(signed({
            "merchant": settings.MOTCUA_PAYMENT_MERCHANT, "ref": payment.reference, "amount": payment.amount_vnd,
            "currency": "VND", "info": f"{payment.dossier.code} {payment.purpose}", "return_url": return_url,
            "callback_url": public_url(f"/api/v1/payments/callback/{self.name}"),
        }))

    def verify_callback(self, fields: Mapping[str, Any]) -> Outcome:
        return verify(fields)

    def query(self, reference: str) -> Outcome:
        url = f"{self.base}/query?" + urlencode(signed({"merchant": settings.MOTCUA_PAYMENT_MERCHANT,
                                                         "ref": reference}))
        try:
            with urllib.request.urlopen(url, timeout=settings.MOTCUA_PAYMENT_HTTP_TIMEOUT) as answer:  # noqa: S310
                body = json.loads(answer.read().decode())
        except (OSError, ValueError, urllib.error.URLError) as exc:
            raise GatewayError(f"Gateway query for {reference} failed: {exc}") from exc
        if not isinstance(body, dict):
            raise GatewayError(f"Gateway query for {reference}: not a JSON object.")
        try:
            outcome = verify(body)
        except DomainError as exc:
            raise GatewayError(f"Gateway query for {reference}: {exc}") from exc
        if outcome.reference != reference:
            raise GatewayError(f"Gateway query for {reference} answered about {outcome.reference}.")
        return outcome


GATEWAYS: dict[str, type[SandboxGateway] | type[HttpGateway]] = {"sandbox": SandboxGateway, "http": HttpGateway}


def get(name: str) -> Gateway:
    found = GATEWAYS.get(name)
    if found is None:
        raise NotFound(_("No such payment gateway."), [
            FieldError("gateway", "choice", _("The gateway must be one of: sandbox, http.")),
        ])
    return found()


def default() -> Gateway:
    return get(str(getattr(settings, "MOTCUA_PAYMENT_GATEWAY", "sandbox")))
