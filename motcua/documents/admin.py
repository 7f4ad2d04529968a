from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import ocr
from .models import Digitization, DocumentAccess, StoredFile, WarehouseDocument


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only through the services: shown, never added, edited or deleted here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WarehouseDocument)
class WarehouseDocumentAdmin(ReadOnlyAdmin):
    list_display = ["title", "owner_id_number", "document_type", "source", "state", "valid_until", "created_at"]
    list_filter = ["source", "state"]
    search_fields = ["=id", "=owner_id_number", "number", "title", "owner__username"]
    list_select_related = ["document_type"]


@admin.register(DocumentAccess)
class DocumentAccessAdmin(ReadOnlyAdmin):
    list_display = ["document", "purpose", "user_name", "at", "dossier_code"]
    list_filter = ["purpose"]
    search_fields = ["=document__id", "user_name", "dossier_code"]


@admin.register(StoredFile)
class StoredFileAdmin(ReadOnlyAdmin):
    """Read only: files are stored through the upload service (checked, content-addressed), never edited here."""

    list_display = ["original_name", "content_type", "size", "uploaded_by", "created_at", "short_sha"]
    list_filter = ["content_type", "created_at"]
    search_fields = ["=id", "=sha256", "original_name", "uploaded_by__username"]
    list_select_related = ["uploaded_by"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    fields = ["id", "original_name", "content_type", "size", "sha256", "storage_name", "uploaded_by", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("SHA-256"), ordering="sha256")
    def short_sha(self, obj: StoredFile) -> str:
        return obj.sha256[:12]


@admin.register(Digitization)
class DigitizationAdmin(ReadOnlyAdmin):
    """Read only, for operators watching the OCR queue; the one write is the action that queues failed files again
    (the same service as `manage.py digitize --retry-failed`)."""

    list_display = ["file", "state", "attempts", "pages", "pdfa", "queued_at", "next_attempt_at", "finished_at"]
    list_filter = ["state", "pdfa"]
    search_fields = ["=file__id", "file__original_name", "reason"]
    list_select_related = ["file"]
    ordering = ["-queued_at"]
    fields = ["file", "state", "attempts", "queued_at", "next_attempt_at", "started_at", "finished_at", "reason",
              "archive", "thumbnail", "pages", "pdfa"]
    readonly_fields = fields
    actions = ["retry_failed"]

    @admin.action(description=_("Queue the failed ones again"))
    def retry_failed(self, request: HttpRequest, queryset: Any) -> None:
        count = ocr.retry(queryset)
        self.message_user(request, _("%(count)d file(s) queued again.") % {"count": count})
