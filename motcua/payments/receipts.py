"""The receipt (biên lai) of a successful payment: an HTML page and a PDF/A, drawn like the dossier's slips (same
header, layout and print stylesheet; `motcua.results.rendering.html_to_pdf` makes the PDF)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from motcua.dossiers import slips
from motcua.results.rendering import SLIP_CSS, html_to_pdf

from .models import Payment


def context(payment: Payment, lang: str) -> dict[str, Any]:
    dossier = payment.dossier
    items = [{"name": item.get(f"name_{lang}") or item.get("name_vi", ""), "amount_vnd": item.get("amount_vnd", 0)}
             for item in payment.items]
    return {
        "dossier": dossier, "kind": "payment-receipt", "title": _("Receipt of online payment"), "payment": payment,
        "items": items, "unit": dossier.receiving_unit.name(lang), "issued_at": payment.paid_at,
        "procedure_name": dossier.version.text("name", lang),
    }


def render_html(payment: Payment, lang: str, *, back_url: str = "", pdf_url: str = "") -> str:
    found = context(payment, lang)
    found.update(qr=slips.qr_svg(payment.dossier.code), back_url=back_url, pdf_url=pdf_url)
    return render_to_string("payments/receipt.html", found)


def render_pdf(payment: Payment, lang: str) -> bytes:
    with translation.override(lang):
        found = context(payment, lang)
        html = render_to_string("payments/receipt.html", {**found, "pdf": True})
    return html_to_pdf(html, stylesheet=render_to_string(SLIP_CSS), seal=False,
                       title=f"{found['title']} · {payment.receipt_number}",
                       subject=f"{payment.dossier.code}: {found['procedure_name']}",
                       keywords=[payment.dossier.code, str(payment.receipt_number), payment.reference],
                       created=payment.paid_at)
