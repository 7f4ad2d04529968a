"""Slip PDFs over the web: the applicant's (portal, /my/...) and the officer's (back office). Thin: the PDF comes from
`rendering.slip_pdf_for`, as for the API."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from motcua.core.errors import active_language

from . import rendering


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
