"""The public petition pages: published answers, sending a petition (logged in or anonymous), one petition (its
petitioner gives more information and says whether the answer satisfied them). Thin: queries read, services write."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from motcua.core.errors import DomainError, active_language
from motcua.core.paging import keyset_page
from motcua.organization.models import Unit

from . import queries, services
from .models import ANSWERED, Kind, Petition, State

PAGE_SIZE = 20
FIELDS = ("title", "content", "kind", "procedure", "dossier", "unit", "name", "email", "phone")
# More active units than this and the form asks for an agency code instead of listing them.
MAX_UNIT_CHOICES = 300


def _user(request: HttpRequest) -> Any:
    return request.user if request.user.is_authenticated else None


def _errors(exc: DomainError) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for error in exc.errors:
        out.setdefault(error.field, []).append(str(error.message))
    return out


def published(request: HttpRequest) -> HttpResponse:
    """Published answers, newest first (keyset pages), and the form to look up one's own petition."""
    code = request.GET.get("code", "").strip()[:40]
    if code:
        query = urlencode({"key": request.GET.get("key", "").strip()[:12]})
        return redirect(f"{reverse('petitions:detail', args=[code])}?{query}")
    page, cursor = keyset_page(queries.published(), request.GET.get("before", ""), PAGE_SIZE)
    return render(request, "petitions/list.html", {"items": page, "next_cursor": cursor, "lang": active_language()})


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    anonymous = user is None or not user.is_applicant
    values = {name: request.GET.get(name, "")[:300] for name in ("procedure", "dossier", "unit")}
    errors: dict[str, list[str]] = {}
    summary: list[str] = []
    status = 200
    if request.method == "POST":
        values = {name: str(request.POST.get(name, "")) for name in FIELDS}
        try:
            if anonymous:
                services.check_rate(request.META.get("REMOTE_ADDR", ""))
            petition = services.submit(user, services.NewPetition(**values))
        except DomainError as exc:
            errors, summary, status = _errors(exc), [str(exc.message)], exc.status
        else:
            messages.success(request, _("Petition %(code)s sent. Keep its lookup key %(key)s to follow it.")
                             % {"code": petition.code, "key": petition.lookup_key})
            url = reverse("petitions:detail", args=[petition.code])
            return redirect(url if not anonymous else f"{url}?{urlencode({'key': petition.lookup_key})}")
    lang = active_language()
    units = list(Unit.objects.filter(is_active=True).order_by("path")[: MAX_UNIT_CHOICES + 1])
    choices = [(u.agency_code, u.name(lang)) for u in units] if len(units) <= MAX_UNIT_CHOICES else []
    return render(request, "petitions/new.html", {
        "values": values, "errors": errors, "summary": summary, "anonymous": anonymous, "kinds": Kind.choices,
        "units": choices,
    }, status=status)


@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    key = (request.POST.get("key") or request.GET.get("key") or "").strip()[:12]
    petition, full = queries.get_for(user, code, key)
    if petition is None:
        raise Http404
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and full:
        action = request.POST.get("action", "")
        try:
            if action == "provide_info":
                services.provide_info(petition, user, request.POST.get("information", ""), key=key)
            elif action == "rate":
                services.rate(petition, user, request.POST.get("satisfied") == "yes", key=key)
            else:
                raise Http404
        except DomainError as exc:
            errors = _errors(exc)
            petition.refresh_from_db()
        else:
            messages.success(request, _("Thank you: your answer was recorded."))
            url = reverse("petitions:detail", args=[code])
            return redirect(f"{url}?{urlencode({'key': key})}" if key else url)
    return render(request, "petitions/detail.html", _context(petition, full, user, key, errors),
                  status=422 if errors else 200)


def _context(petition: Petition, full: bool, user: Any, key: str, errors: dict[str, list[str]]) -> dict[str, Any]:
    petitioner = full and services.is_petitioner(petition, user, key)
    return {
        "p": petition, "full": full, "key": key, "errors": errors, "lang": active_language(),
        "state_label": State(petition.state).label,
        "show_answer": petition.state == State.PUBLISHED or (full and petition.state in ANSWERED),
        "can_provide_info": petitioner and petition.state == State.INFO_REQUESTED,
        "can_rate": petitioner and petition.state in ANSWERED and petition.satisfied is None,
        "history": queries.history(petition) if full else [],
    }
