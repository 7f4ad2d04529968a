"""The dead-letter list for system administrators: outbox deliveries that gave up (national sync, webhooks, e-mail),
with their error, and replay (one, or all of a consumer's). Thin: sync_queries reads, sync_services writes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from motcua.core.errors import DomainError
from motcua.integrations import sync_queries, sync_services

from .views import staff_only

PAGE_SIZE = 50


def operators_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @staff_only
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not sync_queries.is_operator(request.user):
            return render(request, "backoffice/forbidden.html",
                          {"message": _("Only system administrators manage the integrations.")}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _back(consumer: str) -> HttpResponse:
    response = redirect("backoffice:dead_letters")
    if consumer:
        response["Location"] += f"?consumer={consumer}"
    return response


@operators_only
def dead_letters(request: HttpRequest) -> HttpResponse:
    consumer = request.GET.get("consumer", "").strip()[:100]
    before_text = request.GET.get("before", "")
    before = int(before_text) if before_text.isdigit() and 0 < int(before_text) < 2**63 else None
    page = sync_queries.dead_letters(consumer, before=before, limit=PAGE_SIZE)
    rows = [{"delivery": d, "error_line": (d.last_error.strip().splitlines() or [""])[-1][:200],
             "dossier": d.event.topic.startswith("dossier.")} for d in page.items]
    return render(request, "backoffice/dead_letters.html", {
        "rows": rows, "consumer": consumer, "consumers": sync_queries.dead_letter_consumers(),
        "next_cursor": page.next_cursor, "paged": before is not None,
    })


@operators_only
@require_POST
def replay(request: HttpRequest, delivery_id: int) -> HttpResponse:
    try:
        sync_services.replay(delivery_id)
        messages.success(request, _("The delivery will be sent again now."))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return _back(request.POST.get("consumer", "").strip()[:100])


@operators_only
@require_POST
def replay_all(request: HttpRequest) -> HttpResponse:
    consumer = request.POST.get("consumer", "").strip()[:100]
    try:
        count = sync_services.replay_all(consumer)
        messages.success(request, ngettext("%(count)d delivery will be sent again now.",
                                           "%(count)d deliveries will be sent again now.", count) % {"count": count})
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return _back(consumer)
