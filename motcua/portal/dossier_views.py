"""The applicant's dossier pages: submit online, my dossiers, one dossier (answer a supplement request, withdraw, pay,
rate) and its slips; and the public tracking page. Thin: queries read; services and actions write."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from motcua.catalog import queries as catalog_queries
from motcua.catalog.models import OnlineLevel, ProcedureStatus, ProcedureVersion
from motcua.core import ratelimit
from motcua.core.errors import DomainError, FieldError, ValidationFailed, active_language
from motcua.dossiers import actions, queries, services, slips
from motcua.dossiers.models import FINISHED, PAUSED, Dossier, Status
from motcua.organization.models import Unit
from motcua.payments import queries as payment_queries

from . import forms_render as fr

PAGE_SIZE = 20
# More units than this and the wizard asks for an agency code instead of listing them.
MAX_UNIT_CHOICES = 300


def unit_choices(version: ProcedureVersion, lang: str) -> tuple[list[tuple[str, str]], bool]:
    """The active units that handle the procedure's levels, as (agency code, label); True when there are too many
    to list."""
    units = Unit.objects.filter(is_active=True, level__in=version.levels or []).order_by("path")
    rows = list(units[: MAX_UNIT_CHOICES + 1])
    if len(rows) > MAX_UNIT_CHOICES:
        return [], True
    return [(u.agency_code, f"{u.name(lang)} ({u.agency_code})") for u in rows], False


# --- submit online ------------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, code: str) -> HttpResponse:
    procedure = catalog_queries.get_procedure(code)
    if procedure is None or procedure.status != ProcedureStatus.PUBLISHED or procedure.current_version is None:
        raise Http404
    if request.user.is_staff_member:
        return redirect("backoffice:desk_submit", code=code)
    version = procedure.current_version
    if version.online_level == OnlineLevel.NONE:
        messages.error(request, _("This procedure is not offered online: submit it in person or by post."))
        return redirect("portal:procedure", code=code)
    lang = active_language()
    wizard = fr.Wizard(procedure=procedure, version=version, desk=False, lang=lang, user=request.user)
    if request.method == "POST":
        fr.run_wizard(request, wizard)
        if wizard.dossier is not None:
            _announce(request, wizard.dossier, wizard.created)
            return redirect("portal:dossier", code=wizard.dossier.code)
    choices, free_text = unit_choices(version, lang)
    return render(request, "portal/dossiers/submit.html", wizard.context(choices, unit_free_text=free_text),
                  status=wizard.status)


def _announce(request: HttpRequest, dossier: Dossier, created: bool) -> None:
    if created:
        messages.success(request, _("Your dossier was submitted. Dossier code: %(code)s; lookup key: %(key)s. Keep "
                                    "them to follow the dossier on the tracking page.")
                         % {"code": dossier.code, "key": dossier.lookup_key})
    else:
        messages.info(request, _("This form was already submitted: dossier %(code)s.") % {"code": dossier.code})


# --- my dossiers --------------------------------------------------------------------------------------------------

@login_required
def my_dossiers(request: HttpRequest) -> HttpResponse:
    if request.user.is_staff_member:
        return redirect("backoffice:home")
    rows = queries.visible_to(request.user).order_by("-pk")
    before = request.GET.get("before", "")
    if before.isdigit():
        rows = rows.filter(pk__lt=int(before))
    page = list(rows[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    lang = active_language()
    items = [{"code": d.code, "procedure": d.procedure.code, "procedure_name": d.version.text("name", lang),
              "status": d.status, "status_label": slips.status_label(d.status), "submitted_at": d.submitted_at,
              "due_at": d.due_at, "late": fr.is_late(d)} for d in page]
    return render(request, "portal/dossiers/list.html", {
        "items": items, "next_cursor": str(page[-1].pk) if more and page else "", "paged": bool(before),
    })


# --- one dossier --------------------------------------------------------------------------------------------------

class _Failed(Exception):
    """An applicant action that failed, with the files stored for it (kept for the re-rendered page)."""

    def __init__(self, error: DomainError, uploads: fr.Uploads | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.uploads = uploads


@login_required
@require_http_methods(["GET", "POST"])
def dossier(request: HttpRequest, code: str) -> HttpResponse:
    if request.user.is_staff_member:
        return redirect("backoffice:dossier", code=code)
    found = queries.get_visible(request.user, code)
    if found is None:
        raise Http404
    if request.method == "POST":
        action = str(request.POST.get("action", ""))
        try:
            done = _perform(request, found, action)
        except _Failed as failed:
            return _detail(request, found, action=action, exc=failed.error, uploads=failed.uploads)
        except DomainError as exc:
            return _detail(request, found, action=action, exc=exc)
        messages.success(request, done)
        return redirect("portal:dossier", code=code)
    return _detail(request, found)


def _perform(request: HttpRequest, dossier: Dossier, action: str) -> str:
    """Do the applicant's `action` through the services; the message to show."""
    user, post = request.user, request.POST
    if action == "rate":
        score = str(post.get("score", ""))
        services.rate(dossier, user, score=int(score) if score.isdigit() else 0,
                      comment=str(post.get("comment", "")).strip(), not_satisfied=post.get("not_satisfied") == "on")
        return _("Thank you for rating the service.")
    if action == "supplement":
        return _supplement(request, dossier)
    if action == "withdraw":
        actions.act(user, dossier, "withdraw", {"reason": str(post.get("reason", ""))})
        return _("The dossier was withdrawn: its processing is stopped.")
    # Anything else answers as an action not allowed now: 409, naming the allowed ones.
    actions.act(user, dossier, action, {})
    return _("Done.")


def _supplement(request: HttpRequest, dossier: Dossier) -> str:
    """Answer the supplement request: new files per component, the corrected e-form when it changed, a note."""
    uploads = fr.store_uploads(request, dossier.version)
    if uploads.errors:
        raise _Failed(ValidationFailed(_("Some files could not be accepted."), uploads.errors), uploads)
    payload: dict[str, Any] = {"components": uploads.components, "note": str(request.POST.get("note", ""))}
    form = fr.parse_eform(dossier.version.form_schema, request.POST)
    if form != dossier.form_data:
        payload["form"] = form
    try:
        actions.act(request.user, dossier, "supplement", payload)
    except DomainError as exc:
        raise _Failed(exc, uploads) from exc
    return _("The supplement was sent: the dossier is back with the unit.")


def last_event(dossier: Dossier, action: str) -> Any:
    return dossier.events.filter(action=action).order_by("-seq").first()


def _detail(request: HttpRequest, dossier: Dossier, *, action: str = "", exc: DomainError | None = None,
            uploads: fr.Uploads | None = None) -> HttpResponse:
    user = request.user
    lang = active_language()
    dossier.refresh_from_db()
    codes = uploads.codes if uploads else []
    errors = fr.errors_by_key(exc.errors, codes) if exc else {}
    if exc and not exc.errors:
        errors[""] = [str(exc.message)]
    allowed = actions.allowed_actions(dossier, user)
    rating = getattr(dossier, "rating", None) if hasattr(dossier, "rating") else None
    can_rate = dossier.status in FINISHED and rating is None and actions.is_party(dossier, user)
    posted = request.POST if exc and action == "supplement" else None
    form_values = fr.parse_eform(dossier.version.form_schema, posted) if posted is not None else dossier.form_data
    eform = fr.eform_fields(dossier.version.form_schema, form_values, errors, lang)
    components_in = fr.component_fields(dossier.version, errors, lang, uploads.kept if uploads else None,
                                        enforce_required=False)
    labels = {f"form.{f.name}": f.label for f in eform}
    labels.update({f"components.{c.code}": c.name for c in components_in})
    labels.update({"reason": _("Reason"), "score": _("Your rating"), "comment": _("Comment"), "note": _("Note")})
    supplement_request = last_event(dossier, "request_supplement") if "supplement" in allowed else None
    context = {
        "dossier": dossier, "status_label": slips.status_label(dossier.status), "late": fr.is_late(dossier),
        "procedure_name": dossier.version.text("name", lang),
        "step_name": slips.step_names(dossier, lang).get(dossier.current_step, ""),
        "receiving_unit": dossier.receiving_unit.name(lang), "current_unit": dossier.current_unit.name(lang),
        "timeline": slips.timeline(queries.history(dossier, user), lang),
        "components": fr.dossier_components(dossier, lang),
        "form_rows": fr.form_rows(dossier.version.form_schema, dossier.form_data, lang),
        "allowed": allowed, "can_rate": can_rate, "rating": rating, "scores": [1, 2, 3, 4, 5],
        "supplement_request": supplement_request,
        "eform": eform, "components_in": components_in, "posted_action": action if exc else "",
        "errors": errors, "summary": fr.error_summary(errors, labels),
        "post": request.POST if exc else {}, "slips": slips.available(dossier),
        "payments": payment_queries.payments_of(dossier),
        "due": payment_queries.amounts_due(dossier) if actions.is_party(dossier, user) else [],
    }
    return render(request, "portal/dossiers/detail.html", context, status=exc.status if exc else 200)


@login_required
def slip(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    html = slips.render_for(request.user, code, kind, active_language(),
                            back_url=reverse("portal:dossier", args=[code]))
    if html is None:
        raise Http404
    return HttpResponse(html)


# --- public tracking ----------------------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """Follow a dossier with its code and lookup key: status, steps and dates; no name, no form, no note."""
    context: dict[str, Any] = {"code": "", "key": "", "result": None, "errors": {}, "summary": []}
    if request.method != "POST":
        return render(request, "portal/dossiers/track.html", context)
    code = str(request.POST.get("code", "")).strip()[:40]
    key = str(request.POST.get("key", "")).strip()[:12]
    context.update(code=code, key=key)
    limit, window = getattr(settings, "MOTCUA_TRACK_RATE", (60, 60))
    if not ratelimit.allow("track", request.META.get("REMOTE_ADDR", ""), limit, window):
        context["limited"] = True
        return render(request, "portal/dossiers/track.html", context, status=429)
    problems = []
    if not code:
        problems.append(FieldError("code", "required", _("Enter the dossier code.")))
    if not key:
        problems.append(FieldError("key", "required", _("Enter the lookup key.")))
    found = queries.track(code, key) if not problems else None
    if not problems and found is None:
        problems.append(FieldError("key", "match", _("No dossier has this code and lookup key: check them on your "
                                                     "receipt.")))
    if problems:
        context["errors"] = fr.errors_by_key(problems)
        context["summary"] = fr.error_summary(context["errors"], {"code": _("Dossier code"), "key": _("Lookup key")})
        return render(request, "portal/dossiers/track.html", context, status=404 if code and key else 422)
    result = queries.public_view(found, active_language())
    for row in result["history"]:
        row["label"] = slips.event_label(row["action"])
    result["late"] = fr.is_late(found)
    result["finished"] = found.status in FINISHED
    result["status_class"] = "finished" if found.status in FINISHED else (
        "paused" if found.status in PAUSED else "active")
    context["result"] = result
    context["returned"] = found.status == Status.RETURNED
    return render(request, "portal/dossiers/track.html", context)
