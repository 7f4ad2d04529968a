"""Admin for the outbox (read-only: events are facts) with a "retry now" action through `outbox.retry`."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import outbox
from .models import Notification, OutboxDelivery, OutboxEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class DeliveryInline(admin.TabularInline):
    model = OutboxDelivery
    fields = ["consumer", "status", "attempts", "next_attempt_at", "delivered_at", "last_error"]
    readonly_fields = fields
    ordering = ["consumer"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "topic", "key", "created_at"]
    ordering = ["-id"]
    list_filter = ["topic"]
    search_fields = ["=key", "=topic"]
    readonly_fields = ["id", "topic", "key", "payload", "created_at"]
    inlines = [DeliveryInline]
    show_full_result_count = False


@admin.register(OutboxDelivery)
class OutboxDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "consumer", "status", "attempts", "next_attempt_at", "delivered_at", "error"]
    ordering = ["-id"]
    list_filter = ["status", "consumer"]
    search_fields = ["=event__key", "=consumer"]
    list_select_related = ["event"]
    readonly_fields = ["event", "consumer", "status", "attempts", "next_attempt_at", "delivered_at", "last_error"]
    actions = ["retry_now"]
    show_full_result_count = False

    @admin.display(description=_("last error"))
    def error(self, delivery: OutboxDelivery) -> str:
        lines = delivery.last_error.strip().splitlines()
        return lines[-1][:120] if lines else ""

    def has_retry_permission(self, request: HttpRequest) -> bool:
        # Rows stay read-only in the form; who may change deliveries may send them again.
        return request.user.has_perm("integrations.change_outboxdelivery")

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxDelivery]) -> None:
        count = outbox.retry(queryset)
        self.message_user(request, ngettext("%(count)d delivery will be tried again now.",
                                            "%(count)d deliveries will be tried again now.", count) % {"count": count},
                          messages.SUCCESS)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "key", "title_vi", "created_at", "read_at"]
    ordering = ["-id"]
    list_filter = ["topic"]
    search_fields = ["=key", "=user__username"]
    list_select_related = ["user"]
    readonly_fields = ["user", "event", "key", "topic", "title_vi", "title_en", "body_vi", "body_en", "created_at",
                       "read_at"]
    show_full_result_count = False


# The national sync's local messages and webhook subscriptions.
from . import sync_admin  # noqa: E402, F401
