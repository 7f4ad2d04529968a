"""The logged-in account's notifications page, and marking them read. Thin: queries read, services write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from motcua.core.errors import NotFound, active_language

from . import queries, services

PAGE_SIZE = 30


def _back(request: HttpRequest) -> HttpResponse:
    """Back to the page the form was on (kept within the notifications list), else the list."""
    candidate = request.POST.get("next", "")
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return redirect(candidate)
    return redirect("integrations:notifications")


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    before = queries.decode_cursor(request.GET.get("before", "")) if request.GET.get("before") else None
    unread_only = request.GET.get("unread") == "1"
    page = queries.notifications_for(request.user, unread=True if unread_only else None, before=before,
                                     limit=PAGE_SIZE)
    lang = active_language()
    items = [{"id": n.pk, "key": n.key, "title": n.title(lang), "body": n.body(lang), "created_at": n.created_at,
              "read_at": n.read_at} for n in page.items]
    return render(request, "integrations/notifications.html", {
        "items": items, "next_cursor": page.next_cursor, "unread_only": unread_only, "paged": before is not None,
        "unread_count": queries.unread_count(request.user),
    })


@login_required
@require_POST
def read(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        services.mark_read(request.user, notification_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    return _back(request)


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return _back(request)
