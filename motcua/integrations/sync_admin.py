"""Admin of the national sync's local messages (read-only) and of webhook subscriptions (writes via sync_services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import sync_services
from .admin import ReadOnlyAdmin
from .sync_models import NationalSyncMessage, WebhookSubscription

FIELDS = ["name", "url", "secret", "topics", "units", "procedure_fields", "active"]


def _data(cleaned: dict[str, Any]) -> sync_services.SubscriptionData:
    return sync_services.SubscriptionData(
        name=cleaned.get("name") or "", url=cleaned.get("url") or "", secret=cleaned.get("secret") or "",
        topics=list(cleaned.get("topics") or []), units=list(cleaned.get("units") or []),
        procedure_fields=list(cleaned.get("procedure_fields") or []), active=bool(cleaned.get("active")))


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=1000, assume_scheme="https")

    class Meta:
        model = WebhookSubscription
        fields = FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["secret"].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in ("topics", "units", "procedure_fields"):
            value = cleaned.get(name)
            if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                self.add_error(name, forms.ValidationError(_('A JSON list of texts, e.g. ["dossier.status_changed"].')))
        if not self.errors:
            for error in sync_services.subscription_errors(_data(cleaned)):
                field = error.field.split("[", 1)[0]
                self.add_error(field if field in self.fields else None, str(error.message))
        return cleaned


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["id", "name", "url", "active", "updated_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    ordering = ["id"]

    def save_model(self, request: HttpRequest, obj: WebhookSubscription, form: forms.ModelForm,
                   change: bool) -> None:
        data = _data(form.cleaned_data)
        if change:
            saved = sync_services.update_subscription(obj.pk, vars(data))
        else:
            saved = sync_services.create_subscription(data)
        obj.pk, obj.secret, obj.created_at, obj.updated_at = saved.pk, saved.secret, saved.created_at, saved.updated_at

    def delete_model(self, request: HttpRequest, obj: WebhookSubscription) -> None:
        sync_services.delete_subscription(obj.pk)


@admin.register(NationalSyncMessage)
class NationalSyncMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "message_id", "operation", "dossier_code", "created_at"]
    list_filter = ["operation"]
    search_fields = ["=dossier_code", "=message_id"]
    ordering = ["-id"]
    readonly_fields = ["message_id", "operation", "dossier_code", "body", "created_at"]
    show_full_result_count = False
