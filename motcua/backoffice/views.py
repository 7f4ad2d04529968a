"""Officer-facing pages: home (roles, delegations, inbox counts), inboxes, search, the dossier workspace with one
form per allowed action, desk submission and the printable slips. Thin: queries read; actions and services write."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from motcua.catalog import queries as catalog_queries
from motcua.catalog.models import Procedure, ProcedureStatus
from motcua.catalog.process import process_of_version
from motcua.core.errors import DomainError, active_language
from motcua.documents import search as document_search
from motcua.documents import services as document_services
from motcua.dossiers import actions, queries, services, slips
from motcua.dossiers.models import Channel, Dossier
from motcua.organization.models import Role, Unit
from motcua.organization.queries import active_delegations_to, has_role, roles_of
from motcua.payments import queries as payment_queries
from motcua.portal import forms_render as fr

PAGE_SIZE = 30
INBOX_TITLES = {
    "new": gettext_lazy("New, to receive"),
    "mine": gettext_lazy("Waiting for me"),
    "supplement": gettext_lazy("Waiting for the applicant"),
    "near_due": gettext_lazy("Due within a working day"),
    "overdue": gettext_lazy("Overdue"),
}
# More active units than this and the transfer form asks for an agency code instead of listing them.
MAX_UNIT_CHOICES = 500


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in, and a staff account: applicants get the 403 page."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff_member:
            return render(request, "backoffice/forbidden.html",
                          {"message": _("The back office is for staff accounts.")}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


# --- home, inboxes, search ----------------------------------------------------------------------------------------

@staff_only
def home(request: HttpRequest) -> HttpResponse:
    counts = [{"name": name, "title": str(title), "count": queries.inbox(request.user, name).count()}
              for name, title in INBOX_TITLES.items()]
    from motcua.dossiers.reports import report_units
    from motcua.integrations.sync_queries import is_operator
    from motcua.petitions import queries as petition_queries

    from .petition_views import INBOX_TITLES as PETITION_INBOXES

    petitions = [{"name": name, "title": str(title), "count": petition_queries.inbox(request.user, name).count()}
                 for name, title in PETITION_INBOXES.items()]
    return render(request, "backoffice/home.html", {
        "roles": roles_of(request.user), "delegations": active_delegations_to(request.user), "inboxes": counts,
        "desk": _desk_procedures(request.user), "petition_inboxes": petitions,
        "reports": bool(report_units(request.user)), "integrations": is_operator(request.user),
    })


def _rows(dossiers: list[Dossier], lang: str) -> list[dict[str, Any]]:
    return [{"code": d.code, "procedure": d.procedure.code, "procedure_name": d.version.text("name", lang),
             "owner_name": d.owner_name, "status": d.status, "status_label": slips.status_label(d.status),
             "step": slips.step_names(d, lang).get(d.current_step, ""), "unit": d.current_unit.agency_code,
             "submitted_at": d.submitted_at, "due_at": d.due_at, "late": fr.is_late(d)} for d in dossiers]


def _page(request: HttpRequest, rows: Any) -> tuple[list[Dossier], str]:
    before = request.GET.get("before", "")
    if before.isdigit():
        rows = rows.filter(pk__lt=int(before))
    page = list(rows.order_by("-pk")[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    return page, (str(page[-1].pk) if more and page else "")


@staff_only
def inbox(request: HttpRequest, name: str) -> HttpResponse:
    if name not in INBOX_TITLES:
        raise Http404
    page, cursor = _page(request, queries.inbox(request.user, name))
    return render(request, "backoffice/inbox.html", {
        "name": name, "title": INBOX_TITLES[name], "items": _rows(page, active_language()), "next_cursor": cursor,
        "paged": bool(request.GET.get("before")), "inboxes": INBOX_TITLES.items(),
    })


@staff_only
def search(request: HttpRequest) -> HttpResponse:
    """Dossiers within the officer's units by code (or its beginning), owner name, owner ID number, or words of the
    text of their digitized documents (without diacritics, any case)."""
    q = request.GET.get("q", "").strip()[:100]
    page, cursor = [], ""
    if q:
        match = Q(code__istartswith=q) | Q(owner_name__icontains=q) | Q(owner_id_number=q)
        if document_search.terms(q):
            match |= queries.text_match(q, "q")  # words inside the dossier's digitized documents
        page, cursor = _page(request, queries.visible_to(request.user).filter(match))
    return render(request, "backoffice/search.html", {
        "q": q, "items": _rows(page, active_language()), "next_cursor": cursor,
        "paged": bool(request.GET.get("before")),
    })


# --- the workspace ------------------------------------------------------------------------------------------------

ACTION_TITLES = {
    "accept": gettext_lazy("Accept and issue the receipt"),
    "request_supplement": gettext_lazy("Request a supplement"),
    "refuse": gettext_lazy("Refuse to accept"),
    "complete_step": gettext_lazy("Complete this step"),
    "transfer": gettext_lazy("Transfer to another unit"),
    "request_payment": gettext_lazy("Request payment"),
    "pay": gettext_lazy("Record a payment made at the desk"),
    "approve": gettext_lazy("Approve"),
    "deny": gettext_lazy("Deny"),
    "return_result": gettext_lazy("Return the result"),
    "stop": gettext_lazy("Stop processing"),
    "apology": gettext_lazy("Apologise and set a new date"),
}
DANGER = {"refuse", "deny", "stop"}
STEP_ACTIONS = ("accept", "complete_step", "approve", "return_result")
# The fields each action's form asks for: (name, kind, required). Kinds: text, textarea, lines (one item per line),
# date, number, next_step, unit, method.
ACTION_FIELDS: dict[str, list[tuple[str, str, bool]]] = {
    "accept": [("next_step", "next_step", True), ("note", "textarea", False)],
    "request_supplement": [("items", "lines", True), ("note", "textarea", False)],
    "refuse": [("reasons", "lines", True)],
    "complete_step": [("next_step", "next_step", True), ("note", "textarea", False)],
    "transfer": [("unit", "unit", True), ("note", "textarea", False)],
    "request_payment": [("amount_vnd", "number", True), ("note", "textarea", False)],
    "pay": [("transaction_id", "text", True), ("note", "textarea", False)],
    "approve": [("next_step", "next_step", True), ("note", "textarea", False)],
    "deny": [("next_step", "next_step", True), ("reason", "textarea", True)],
    "return_result": [("method", "method", True), ("note", "textarea", False)],
    "stop": [("reason", "textarea", True)],
    "apology": [("new_due_at", "date", True), ("reason", "textarea", True)],
}
FIELD_LABELS = {
    "note": gettext_lazy("Note"), "items": gettext_lazy("Items to supplement"),
    "reasons": gettext_lazy("Reasons"), "reason": gettext_lazy("Reason"), "next_step": gettext_lazy("Next step"),
    "unit": gettext_lazy("Unit"), "amount_vnd": gettext_lazy("Amount (VND)"),
    "transaction_id": gettext_lazy("Receipt or transfer reference"),
    "new_due_at": gettext_lazy("New due date"), "method": gettext_lazy("How the result is returned"),
}
FIELD_HELP = {
    "items": gettext_lazy("One item per line: everything missing, in one request."),
    "reasons": gettext_lazy("One reason per line."),
    "new_due_at": gettext_lazy("After the current due date."),
}


def payload_from_post(action: str, post: Any) -> dict[str, Any]:
    """The action's payload from its form: lines split into lists, the amount as a whole number; empty optional
    choices left out."""
    payload: dict[str, Any] = {}
    for name, kind, _required in ACTION_FIELDS.get(action, []):
        raw = str(post.get(name, "")).strip()
        if kind == "lines":
            payload[name] = [line.strip() for line in raw.splitlines() if line.strip()]
        elif kind == "number":
            digits = raw.replace(".", "").replace(",", "").replace(" ", "")
            payload[name] = int(digits) if digits.isdigit() else raw
        elif kind == "next_step":
            if raw:
                payload[name] = raw
        else:
            payload[name] = raw
    return payload


def _next_steps(dossier: Dossier, action: str, lang: str) -> list[tuple[str, str]]:
    """The steps `action` may lead to from the current step, when there is a choice (else empty)."""
    process = process_of_version(dossier.version)
    step = process.step(dossier.current_step)
    options = [o for o in (step.next_steps(action) if step else []) if o]
    if len(options) < 2:
        return []
    names = slips.step_names(dossier, lang)
    return [(code, names.get(code, code)) for code in options]


def _transfer_units(dossier: Dossier, lang: str) -> tuple[list[tuple[str, str]], bool]:
    units = list(Unit.objects.filter(is_active=True).exclude(pk=dossier.current_unit_id)
                 .order_by("path")[: MAX_UNIT_CHOICES + 1])
    if len(units) > MAX_UNIT_CHOICES:
        return [], True
    return [(u.agency_code, f"{u.name(lang)} ({u.agency_code})") for u in units], False


def _action_forms(dossier: Dossier, allowed: list[str], lang: str, posted: str, post: Any,
                  errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    forms = []
    # The step's own action (accept, complete_step, approve, return_result) is open unless another form was posted.
    main = next((a for a in allowed if a in STEP_ACTIONS), "") if not posted else posted
    for action in sorted(allowed, key=lambda name: name not in STEP_ACTIONS):  # the step's own action first
        if action not in ACTION_FIELDS:
            continue  # the applicant's own actions
        fields = []
        mine = action == posted
        for name, kind, required in ACTION_FIELDS[action]:
            field: dict[str, Any] = {"name": name, "kind": kind, "required": required, "id": f"id_{action}-{name}",
                                     "label": str(FIELD_LABELS[name]), "help": str(FIELD_HELP.get(name, "")),
                                     "value": str(post.get(name, "")) if mine else "",
                                     "errors": errors.get(name, []) if mine else []}
            if kind == "next_step":
                field["choices"] = _next_steps(dossier, action, lang)
                if not field["choices"]:
                    continue  # no branch here: the process knows the next step
            elif kind == "unit":
                field["choices"], free_text = _transfer_units(dossier, lang)
                field["kind"] = "text" if free_text else "unit"
            elif kind == "method":
                field["choices"] = [(key, str(label)) for key, label in slips.RETURN_METHODS.items()]
                field["value"] = field["value"] or ("online" if dossier.channel == Channel.ONLINE else "desk")
            elif kind == "number" and not mine:
                field["value"] = str(sum(fee.amount_vnd for fee in dossier.version.fees.all()) or "")
            fields.append(field)
        names = {f["name"] for f in fields}
        general = [m for key, messages_ in errors.items() if key not in names for m in messages_] if mine else []
        forms.append({"action": action, "title": str(ACTION_TITLES.get(action, action)), "fields": fields,
                      "danger": action in DANGER, "open": action == main, "general": general})
    return forms


def _workspace(request: HttpRequest, dossier: Dossier, *, posted: str = "", exc: DomainError | None = None,
               draft: Any = None, scan_errors: list[str] | None = None) -> HttpResponse:
    """The workspace; after a failed action its form is open with what was posted; with a `draft` (query values, e.g.
    the early-warning report's apology draft) that action's form is open and pre-filled; `scan_errors` are listed
    above the desk-scanning form."""
    user = request.user
    lang = active_language()
    allowed = actions.allowed_actions(dossier, user)
    errors = fr.errors_by_key(exc.errors) if exc else {}
    forms = _action_forms(dossier, allowed, lang, posted, request.POST if exc else (draft or {}), errors)
    posted_form = next((form for form in forms if form["action"] == posted), None)
    labels = {f["name"]: f["label"] for f in posted_form["fields"]} if posted_form else {}
    summary = [{"href": "", "text": str(exc.message)}] if exc else []
    for key, messages_ in errors.items():
        for message in messages_:
            summary.append({"href": f"#id_{posted}-{key}", "text": f"{labels[key]}: {message}"} if key in labels
                           else {"href": "", "text": message})
    names = slips.step_names(dossier, lang)
    steps = [{"name": names.get(s.step, s.step), "unit": s.unit, "started_at": s.started_at, "due_at": s.due_at,
              "finished_at": s.finished_at} for s in dossier.steps.select_related("unit")]
    rating = getattr(dossier, "rating", None) if hasattr(dossier, "rating") else None
    return render(request, "backoffice/dossier.html", {
        "dossier": dossier, "status_label": slips.status_label(dossier.status), "late": fr.is_late(dossier),
        "procedure_name": dossier.version.text("name", lang), "step_name": names.get(dossier.current_step, ""),
        "role_label": str(slips.ROLE_LABELS.get(dossier.current_role, dossier.current_role)),
        "channel_label": Channel(dossier.channel).label if dossier.channel in Channel.values else "",
        "receiving_unit": dossier.receiving_unit, "current_unit": dossier.current_unit,
        "form_rows": fr.form_rows(dossier.version.form_schema, dossier.form_data, lang),
        "components": fr.dossier_components(dossier, lang), "steps": steps,
        "timeline": slips.timeline(queries.history(dossier, user), lang),
        "forms": forms, "summary": summary, "posted": posted, "slips": slips.available(dossier), "rating": rating,
        "title": str(ACTION_TITLES.get(posted, posted)), "can_scan": can_scan(user, dossier),
        "scan_errors": scan_errors or [], "payments": payment_queries.payments_of(dossier),
    }, status=exc.status if exc else (422 if scan_errors else 200))


@staff_only
@require_http_methods(["GET", "POST"])
def dossier(request: HttpRequest, code: str) -> HttpResponse:
    found = queries.get_visible(request.user, code)
    if found is None:
        raise Http404
    if request.method == "POST":
        action = str(request.POST.get("action", ""))[:40]
        try:
            actions.act(request.user, found, action, payload_from_post(action, request.POST))
        except DomainError as exc:
            found.refresh_from_db()
            return _workspace(request, found, posted=action, exc=exc)
        messages.success(request, _("Done: %(action)s.") % {"action": ACTION_TITLES.get(action, action)})
        if queries.get_visible(request.user, code) is None:  # transferred out of the officer's units
            return redirect("backoffice:home")
        return redirect("backoffice:dossier", code=code)
    draft = str(request.GET.get("draft", ""))
    if draft in ACTION_FIELDS:
        return _workspace(request, found, posted=draft, draft=request.GET)
    return _workspace(request, found)


def can_scan(user: Any, dossier: Dossier) -> bool:
    """Desk scanning is for the one-stop officers of the receiving unit."""
    return has_role(user, Role.ONESTOP, dossier.receiving_unit)


@staff_only
@require_http_methods(["POST"])
def digitize(request: HttpRequest, code: str) -> HttpResponse:
    """Desk scanning: store the pages uploaded per component (under the officer's account) and mark the ticked
    components digitized, through dossiers.services.digitize; errors are listed above the form."""
    found = queries.get_visible(request.user, code)
    if found is None:
        raise Http404
    marked = set(request.POST.getlist("digitized"))
    codes = [c.code for c in found.version.components.all()]
    try:
        with transaction.atomic():
            items = []
            for component in codes:
                uploads = request.FILES.getlist(f"scan-{component}")
                files = [str(document_services.store_upload(request.user, upload).pk) for upload in uploads]
                if files or component in marked:
                    items.append({"code": component, "files": files, "digitized": component in marked})
            services.digitize(request.user, found, items)
    except DomainError as exc:
        texts = [str(exc.message)] + [str(error.message) for error in exc.errors]
        return _workspace(request, found, scan_errors=texts) if exc.status != 403 else render(
            request, "backoffice/forbidden.html", {"message": str(exc.message)}, status=403)
    messages.success(request, _("The scans were saved; OCR reads them in the background."))
    return redirect("backoffice:dossier", code=code)


@staff_only
def slip(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    html = slips.render_for(request.user, code, kind, active_language(),
                            back_url=reverse("backoffice:dossier", args=[code]))
    if html is None:
        raise Http404
    return HttpResponse(html)


# --- desk submission ----------------------------------------------------------------------------------------------

def _onestop_units(user: Any) -> list[Unit]:
    return [a.unit for a in roles_of(user).filter(role=Role.ONESTOP, unit__is_active=True).order_by("unit__path")]


def _desk_procedures(user: Any) -> list[Procedure]:
    """Published procedures that the officer's one-stop units receive (by unit level)."""
    levels = {unit.level for unit in _onestop_units(user)}
    if not levels:
        return []
    rows = (Procedure.objects.filter(status=ProcedureStatus.PUBLISHED, current_version__isnull=False)
            .select_related("current_version").order_by("code"))
    return [p for p in rows if levels & set(p.current_version.levels or [])]


@staff_only
def desk(request: HttpRequest) -> HttpResponse:
    """Pick the procedure of a dossier received at the desk."""
    code = request.GET.get("procedure", "").strip()[:30]
    if code:
        return redirect("backoffice:desk_submit", code=code)
    return render(request, "backoffice/desk.html", {"procedures": _desk_procedures(request.user)})


@staff_only
@require_http_methods(["GET", "POST"])
def desk_submit(request: HttpRequest, code: str) -> HttpResponse:
    """Register a dossier received in person or by post: the same wizard as online, plus the owner and channel.
    The files are stored under the officer's account."""
    procedure = catalog_queries.get_procedure(code)
    if procedure is None or procedure.status != ProcedureStatus.PUBLISHED or procedure.current_version is None:
        raise Http404
    version = procedure.current_version
    lang = active_language()
    wizard = fr.Wizard(procedure=procedure, version=version, desk=True, lang=lang, channel=Channel.IN_PERSON)
    units = [u for u in _onestop_units(request.user) if u.level in (version.levels or [])]
    wizard.unit = units[0].agency_code if units else ""
    if request.method == "POST":
        fr.run_wizard(request, wizard)
        if wizard.dossier is not None:
            if wizard.created:
                messages.success(request, _("Dossier %(code)s registered (lookup key %(key)s). Check it and accept "
                                            "it to print the receipt.")
                                 % {"code": wizard.dossier.code, "key": wizard.dossier.lookup_key})
            else:
                messages.info(request, _("This form was already submitted: dossier %(code)s.")
                              % {"code": wizard.dossier.code})
            return redirect("backoffice:dossier", code=wizard.dossier.code)
    choices = [(u.agency_code, f"{u.name(lang)} ({u.agency_code})") for u in units]
    context = wizard.context(choices, unit_free_text=not choices)
    return render(request, "backoffice/desk_submit.html", context, status=wizard.status)
