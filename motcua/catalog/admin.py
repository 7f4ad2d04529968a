from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from . import queries, services
from .models import (
    Announcement,
    AnnouncementItem,
    Component,
    DocumentType,
    Fee,
    Field,
    LegalBasis,
    Procedure,
    ProcedureVersion,
)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Catalog file (JSON, format motcua.catalog/1)"))


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "name_en", "illustrative", "position"]
    search_fields = ["code", "name_vi", "name_en"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VersionInline(ReadOnlyInline):
    model = ProcedureVersion
    fields = ["number", "status", "name_vi", "online_level", "time_limit_value", "time_limit_unit", "published_at"]
    show_change_link = True


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    """Procedures change through the catalog import (validated whole) so a rule is written once; here they are read,
    imported and exported."""

    list_display = ["code", "current_name", "field", "status", "current_version"]
    list_filter = ["status", "field"]
    search_fields = ["code", "search_text"]
    readonly_fields = ["code", "status", "field", "current_version", "abolished_at"]
    exclude = ["search_text"]
    inlines = [VersionInline]
    change_list_template = "admin/catalog/procedure/change_list.html"
    actions = ["abolish"]

    @admin.display(description=_("name"))
    def current_name(self, obj: Procedure) -> str:
        return obj.current_version.name_vi if obj.current_version else "—"

    @admin.action(description=_("Abolish the selected procedures (kept as history)"))
    def abolish(self, request: HttpRequest, queryset: Any) -> None:
        for procedure in queryset:
            services.abolish_procedure(procedure)
        self.message_user(request, _("Abolished."), messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="catalog_procedure_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="catalog_procedure_export"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("catalog.change_procedure"):
            return HttpResponse(status=403)
        form = ImportForm(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid():
            try:
                raw = json.loads(form.cleaned_data["file"].read().decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                form.add_error("file", _("Not a JSON document: %(error)s") % {"error": exc})
            else:
                try:
                    report = services.import_catalog(raw)
                except services.CatalogInvalid as exc:
                    problems = exc.errors
                else:
                    self.message_user(request, report.summary(), messages.SUCCESS)
                    return redirect("admin:catalog_procedure_changelist")
        context = {**self.admin_site.each_context(request), "form": form, "problems": problems,
                   "title": _("Import the catalog"), "opts": self.model._meta}
        return TemplateResponse(request, "admin/catalog/procedure/import.html", context)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(json.dumps(queries.export_catalog(), ensure_ascii=False, indent=2),
                                content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="motcua-catalog.json"'
        return response


class ComponentInline(ReadOnlyInline):
    model = Component
    fields = ["code", "name_vi", "required", "copies", "template", "must_digitize"]


class FeeInline(ReadOnlyInline):
    model = Fee
    fields = ["kind", "name_vi", "amount_vnd", "payer_vi"]


class LegalBasisInline(ReadOnlyInline):
    model = LegalBasis
    fields = ["number", "title_vi", "effective_from", "effective_to"]


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(admin.ModelAdmin):
    list_display = ["procedure", "number", "status", "name_vi", "online_level", "published_at"]
    list_filter = ["status", "online_level"]
    search_fields = ["procedure__code", "name_vi", "name_en"]
    inlines = [ComponentInline, FeeInline, LegalBasisInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # versions are immutable once published; amendments come as new versions

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AnnouncementItemInline(ReadOnlyInline):
    model = AnnouncementItem
    fields = ["procedure", "action", "version"]


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ["decision_number", "decision_date", "effective_date", "published_at"]
    search_fields = ["decision_number", "title_vi"]
    inlines = [AnnouncementItemInline]


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "name_en"]
    search_fields = ["code", "name_vi", "name_en"]
