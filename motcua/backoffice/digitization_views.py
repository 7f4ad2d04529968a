"""Officer pages of digitization: bulk batches (upload a ZIP of scans and its CSV manifest, follow the progress, see
the rejected rows, resume a stopped batch) and the digitization inspection report (table and CSV). Thin: the bulk
module and the report's queries do the work."""

from __future__ import annotations

import csv
from datetime import date
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from motcua.core.errors import DomainError, FieldError, ValidationFailed, active_language
from motcua.dossiers import bulk, tasks
from motcua.dossiers.models import BulkBatch, BulkRowStatus
from motcua.organization.models import Role, RoleAssignment, Unit
from motcua.portal import forms_render as fr
from motcua.results import inspection

from .views import staff_only

BULK_ROLES = (Role.ONESTOP, Role.UNIT_ADMIN, Role.SYSADMIN)
MAX_UNIT_CHOICES = 500


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "backoffice/forbidden.html", {"message": message}, status=403)


def _bulk_units(user: Any) -> list[Unit]:
    ids = RoleAssignment.objects.filter(user=user, role__in=BULK_ROLES).values("unit_id")
    return list(Unit.objects.filter(pk__in=ids).order_by("path"))


def _batches_of(units: list[Unit]) -> Any:
    within = Q(pk__in=[])
    for unit in units:
        within |= Q(unit__path__startswith=unit.path)
    return BulkBatch.objects.filter(within).select_related("unit", "created_by")


def _run_later(batch: BulkBatch) -> None:
    transaction.on_commit(lambda: tasks.run_bulk_batch.enqueue(batch.pk))


@staff_only
@require_http_methods(["GET", "POST"])
def digitization(request: HttpRequest) -> HttpResponse:
    units = _bulk_units(request.user)
    if not units:
        return _forbidden(request, _("Bulk digitization is for one-stop officers and unit administrators."))
    errors: dict[str, list[str]] = {}
    chosen = str(request.POST.get("unit", units[0].agency_code))
    if request.method == "POST":
        try:
            batch = _start(request, units, chosen)
        except DomainError as exc:
            errors = fr.errors_by_key(exc.errors) or {"": [str(exc.message)]}
        else:
            messages.success(request, _("Batch #%(id)s started: %(rows)s row(s). Its progress is shown below.")
                             % {"id": batch.pk, "rows": batch.rows_total})
            return redirect("backoffice:digitization_batch", pk=batch.pk)
    labels = {"scans": _("Scans (ZIP)"), "manifest": _("Manifest (CSV)"), "unit": _("Unit")}
    return render(request, "backoffice/digitization.html", {
        "units": units, "unit": chosen, "batches": _batches_of(units)[:50], "errors": errors,
        "summary": fr.error_summary(errors, labels), "columns": bulk.COLUMNS,
    }, status=422 if errors else 200)


def _start(request: HttpRequest, units: list[Unit], chosen: str) -> BulkBatch:
    unit = next((u for u in units if u.agency_code == chosen), None)
    problems = []
    if unit is None:
        problems.append(FieldError("unit", "choice", _("Choose one of your units.")))
    scans, manifest = request.FILES.get("scans"), request.FILES.get("manifest")
    if scans is None:
        problems.append(FieldError("scans", "required", _("Choose the ZIP file of the scans.")))
    if manifest is None:
        problems.append(FieldError("manifest", "required", _("Choose the CSV manifest.")))
    text = ""
    if manifest is not None:
        try:
            text = manifest.read(8 << 20).decode("utf-8-sig")
        except UnicodeDecodeError:
            problems.append(FieldError("manifest", "encoding", _("Save the manifest as UTF-8 CSV.")))
    if problems:
        raise ValidationFailed(_("The batch was not started."), problems)
    bulk.read_manifest(text)  # a manifest that cannot be used is refused before the scans are kept
    path = bulk.save_scans(scans)
    with transaction.atomic():
        batch = bulk.start_batch(request.user, path, manifest.name, text, unit)
        _run_later(batch)
    return batch


@staff_only
@require_http_methods(["GET", "POST"])
def digitization_batch(request: HttpRequest, pk: int) -> HttpResponse:
    units = _bulk_units(request.user)
    batch = _batches_of(units).filter(pk=pk).first() if units else None
    if batch is None:
        raise Http404
    if request.method == "POST" and not batch.finished:
        _run_later(batch)
        messages.info(request, _("Batch #%(id)s will resume at its first row not done.") % {"id": batch.pk})
        return redirect("backoffice:digitization_batch", pk=batch.pk)
    rows = batch.rows.select_related("dossier", "warehouse_document").order_by("line")
    return render(request, "backoffice/digitization_batch.html", {
        "batch": batch, "rejected": rows.filter(status=BulkRowStatus.REJECTED)[:1000],
        "imported": rows.filter(status=BulkRowStatus.IMPORTED)[:200],
        "percent": int(100 * batch.rows_done / batch.rows_total) if batch.rows_total else 100,
    })


# --- the inspection report ----------------------------------------------------------------------------------------

def _day(value: str, field: str, problems: list[FieldError]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(FieldError(field, "date", _("Give the date as YYYY-MM-DD.")))
        return None


@staff_only
def digitization_report(request: HttpRequest) -> HttpResponse:
    tops = list(inspection.report_units(request.user))
    if not tops:
        return _forbidden(request, _("Only leaders and inspection officers read this report."))
    query = {key: str(request.GET.get(key, "")).strip()[:20] for key in ("unit", "from", "to")}
    problems: list[FieldError] = []
    start, end = _day(query["from"], "from", problems), _day(query["to"], "to", problems)
    report, errors, status = None, {}, 200
    try:
        if problems:
            raise ValidationFailed(_("The request is not valid."), problems)
        root, start, end = inspection.resolve(request.user, query["unit"], start, end)
        report = inspection.digitization_report(root, start, end, active_language())
    except DomainError as exc:
        errors, status = fr.errors_by_key(exc.errors) or {"": [str(exc.message)]}, exc.status
    if report is not None and request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (f'attachment; filename="digitization-{report["unit"]}-'
                                           f'{report["from"]}-{report["to"]}.csv"')
        response.write("\ufeff")  # so spreadsheet programs read the Vietnamese names as UTF-8
        csv.writer(response).writerows(inspection.as_rows(report))
        return response
    choices = []
    for top in tops:
        choices += [(u.agency_code, f"{u.name(active_language())} ({u.agency_code})")
                    for u in Unit.objects.filter(path__startswith=top.path).order_by("path")[:MAX_UNIT_CHOICES]]
    labels = {"unit": _("Unit"), "from": _("From"), "to": _("To")}
    return render(request, "backoffice/digitization_report.html", {
        "report": report, "choices": list(dict.fromkeys(choices)), "query": query, "errors": errors,
        "summary": fr.error_summary(errors, labels),
        "start": start.isoformat() if start else "", "end": end.isoformat() if end else "",
    }, status=status)
