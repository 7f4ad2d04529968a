"""Result pages: public verification, the published seal keys, the holder's results, the leaders' cancel and
replace forms, and the slip PDFs (applicant: /my/..., officer: /backoffice/...). Thin: `verify`, `services` and
`rendering` do the work."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core.errors import DomainError, active_language
from motcua.documents.downloads import file_response
from motcua.documents.services import max_upload_bytes
from motcua.portal import forms_render as fr

from . import queries, rendering, seal, services, verify

FIELD_LABELS = {"code": gettext_lazy("Result code"), "file": gettext_lazy("PDF file"),
                "qr": gettext_lazy("QR code text")}


@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    """Type a code, paste what a scanner read from the QR code, or upload the PDF."""
    context: dict[str, Any] = {"report": None, "errors": {}, "summary": [], "code": "", "qr": ""}
    if request.method == "GET":
        code = str(request.GET.get("code", "")).strip()[:60]
        if code:
            return redirect("results:verify-code", code=code)
        return render(request, "results/verify.html", context)
    upload = request.FILES.get("file")
    qr = str(request.POST.get("qr", "")).strip()[:4000]
    code = str(request.POST.get("code", "")).strip()[:60]
    context.update(code=code, qr=qr)
    try:
        verify.check_rate(request.META.get("REMOTE_ADDR", ""))
        if upload is not None:
            if upload.size > max_upload_bytes():
                raise DomainError(_("The file is too large."))
            context["report"] = verify.by_file(upload.read())
        elif qr:
            context["report"] = verify.by_seal(qr)
        elif code:
            context["report"] = verify.by_code(code)
        else:
            raise DomainError(_("Enter a result code, paste the QR code text or choose the PDF file."))
    except DomainError as exc:
        context["errors"] = fr.errors_by_key(exc.errors) or {"": [str(exc.message)]}
        context["summary"] = fr.error_summary(context["errors"], FIELD_LABELS)
        return render(request, "results/verify.html", context, status=exc.status)
    return render(request, "results/verify.html", context)


@require_GET
def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    try:
        verify.check_rate(request.META.get("REMOTE_ADDR", ""))
    except DomainError as exc:
        return render(request, "results/verify.html", {"report": None, "code": code, "summary": [],
                                                       "errors": {"": [str(exc.message)]}}, status=exc.status)
    report = verify.by_code(code)
    return render(request, "results/verify.html", {"report": report, "code": code, "errors": {}, "summary": []},
                  status=200 if report["found"] else 404)


@require_GET
@cache_control(public=True, max_age=3600)
def jwks(request: HttpRequest) -> JsonResponse:
    """The public keys of the QR seals, for verifiers that work offline (e.g. a checkpoint's scanner app)."""
    response = JsonResponse(seal.jwks())
    response["Access-Control-Allow-Origin"] = "*"
    return response


@login_required
def my_results(request: HttpRequest) -> HttpResponse:
    rows = queries.visible_results(request.user).order_by("-issued_at", "-pk")[:200]
    return render(request, "results/mine.html", {"results": rows})


@login_required
def result_file(request: HttpRequest, code: str) -> HttpResponse:
    result = queries.get_visible_result(request.user, code)
    if result is None:
        raise Http404
    return file_response(result.file)


@login_required
@require_POST
def change(request: HttpRequest, code: str, how: str) -> HttpResponse:
    """A leader cancels or replaces a result from the dossier's workspace."""
    result = queries.get_visible_result(request.user, code)
    if result is None or how not in ("cancel", "replace"):
        raise Http404
    payload: dict[str, Any] = {"reason": str(request.POST.get("reason", ""))}
    if request.POST.get("valid_until"):
        payload["valid_until"] = str(request.POST["valid_until"])
    try:
        if how == "cancel":
            services.cancel(result, request.user, payload)
            messages.success(request, _("The result %(code)s was cancelled.") % {"code": code})
        else:
            new = services.replace(result, request.user, payload)
            messages.success(request, _("The result %(code)s was replaced by %(new)s.") % {"code": code,
                                                                                           "new": new.code})
    except DomainError as exc:
        problems = "; ".join(f"{e.field}: {e.message}" for e in exc.errors) or str(exc.message)
        messages.error(request, f"{exc.message} {problems}")
    return redirect("backoffice:dossier", code=result.dossier.code)


# --- slips as PDF ---------------------------------------------------------------------------------------------


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    """A PDF shown in the browser, named for saving; personal data, so never stored by a shared cache."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _slip(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    pdf = rendering.slip_pdf_for(request.user, code, kind, active_language())
    if pdf is None:
        raise Http404
    return pdf_response(pdf, f"{code}-{kind}.pdf")


@login_required
@require_GET
def my_slip_pdf(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    """A slip of one of the applicant's own dossiers (as owner or submitter). Officers use the back office's."""
    if request.user.is_staff_member:
        return redirect("results:office_slip_pdf", code=code, kind=kind)
    return _slip(request, code, kind)


@login_required
@require_GET
def office_slip_pdf(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    """A slip of a dossier of the officer's units, with every event. Applicants get the back office's 403 page."""
    if not request.user.is_staff_member:
        return render(request, "backoffice/forbidden.html",
                      {"message": _("The back office is for staff accounts.")}, status=403)
    return _slip(request, code, kind)
