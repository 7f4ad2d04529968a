"""Admin for payments: read-only (they change only through callbacks and reconciliation)."""

from __future__ import annotations

from django.contrib import admin

from motcua.integrations.admin import ReadOnlyAdmin

from .models import Payment


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "dossier", "purpose", "amount_vnd", "gateway", "status", "transaction_id",
                    "receipt_number", "created_at", "paid_at"]
    list_filter = ["status", "gateway", "purpose"]
    search_fields = ["reference", "transaction_id", "receipt_number", "dossier__code"]
    date_hierarchy = "created_at"
