"""Officer pages for petitions (phản ánh, kiến nghị): inboxes and the petition workspace with one form per allowed
action. Thin: petitions.queries reads, petitions.services writes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from motcua.core.errors import DomainError, active_language
from motcua.core.paging import keyset_page
from motcua.petitions import queries, services
from motcua.petitions.models import Category, State

from .views import staff_only

PAGE_SIZE = 30
INBOX_TITLES = {
    "new": gettext_lazy("New petitions, to classify"),
    "mine": gettext_lazy("Petitions assigned to me"),
    "near_due": gettext_lazy("Petitions due soon"),
    "overdue": gettext_lazy("Overdue petitions"),
}
ACTION_TITLES = {
    "classify": gettext_lazy("Classify"),
    "assign": gettext_lazy("Assign to a unit or an officer"),
    "refuse": gettext_lazy("Refuse the petition"),
    "request_info": gettext_lazy("Ask for more information"),
    "answer": gettext_lazy("Answer"),
    "publish": gettext_lazy("Publish the answer"),
}
OTHER_ACTIONS = {
    "submit": gettext_lazy("Sent"), "provide_info": gettext_lazy("Information given"),
    "rate": gettext_lazy("Satisfaction recorded"),
}
# (field, kind, required) per action; kinds: category, text, textarea.
ACTION_FIELDS: dict[str, list[tuple[str, str, bool]]] = {
    "classify": [("category", "category", True), ("officer", "text", False), ("note", "textarea", False)],
    "assign": [("unit", "text", False), ("officer", "text", False), ("note", "textarea", False)],
    "refuse": [("reason", "textarea", True)],
    "request_info": [("request", "textarea", True)],
    "answer": [("answer", "textarea", True)],
    "publish": [("note", "textarea", False)],
}
FIELD_LABELS = {
    "category": gettext_lazy("Category"), "officer": gettext_lazy("Officer (username)"),
    "unit": gettext_lazy("Unit (agency code)"), "note": gettext_lazy("Note"), "reason": gettext_lazy("Reason"),
    "request": gettext_lazy("Information requested"), "answer": gettext_lazy("Answer"),
}



def _category_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in Category.choices]


@staff_only
def inbox(request: HttpRequest, name: str) -> HttpResponse:
    if name not in INBOX_TITLES:
        raise Http404
    page, cursor = keyset_page(queries.inbox(request.user, name), request.GET.get("before", ""), PAGE_SIZE)
    counts = {key: queries.inbox(request.user, key).count() for key in INBOX_TITLES}
    return render(request, "backoffice/petition_inbox.html", {
        "name": name, "title": INBOX_TITLES[name], "items": page, "inboxes": INBOX_TITLES.items(), "counts": counts,
        "next_cursor": cursor, "lang": active_language(),
    })


def _forms(petition: Any, allowed: list[str], posted: str, post: Any, errors: dict[str, list[str]]
           ) -> list[dict[str, Any]]:
    forms = []
    for action in allowed:
        mine = action == posted
        fields = [{"name": name, "kind": "choice" if kind == "category" else kind, "required": required,
                   "id": f"id_{action}-{name}", "label": str(FIELD_LABELS[name]), "help": "", "maxlength": 150,
                   "choices": _category_choices() if kind == "category" else [],
                   "value": str(post.get(name, "")) if mine else (petition.category if kind == "category" else ""),
                   "errors": errors.get(name, []) if mine else []}
                  for name, kind, required in ACTION_FIELDS[action]]
        general = [m for key, msgs in errors.items() if key not in ACTION_FIELDS[action] for m in msgs] if mine else []
        forms.append({"action": action, "title": str(ACTION_TITLES[action]), "fields": fields, "open": mine,
                      "danger": action == "refuse", "general": general})
    return forms


@staff_only
@require_http_methods(["GET", "POST"])
def petition(request: HttpRequest, code: str) -> HttpResponse:
    found = queries.visible_to(request.user).filter(code=code).first()
    if found is None:
        raise Http404
    posted, errors, status, message = "", {}, 200, ""
    if request.method == "POST":
        posted = str(request.POST.get("action", ""))[:40]
        payload = {name: str(request.POST.get(name, "")).strip() for name, _k, _r in ACTION_FIELDS.get(posted, [])}
        try:
            services.act(request.user, found, posted, payload)
        except DomainError as exc:
            status, message = exc.status, str(exc.message)
            for error in exc.errors:
                errors.setdefault(error.field, []).append(str(error.message))
            found.refresh_from_db()
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": ACTION_TITLES.get(posted, posted)})
            return redirect("backoffice:petition", code=code)
    allowed = services.allowed_actions(found, request.user)
    return render(request, "backoffice/petition.html", {
        "p": found, "state_label": State(found.state).label, "forms": _forms(found, allowed, posted, request.POST,
                                                                              errors),
        "history": [{"event": e, "label": str(ACTION_TITLES.get(e.action, OTHER_ACTIONS.get(e.action, e.action)))}
                    for e in queries.history(found)], "message": message,
        "lang": active_language(),
    }, status=status)
