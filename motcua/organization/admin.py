"""Admin for units, roles and delegations. Every save goes through organization.services (rules written once)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from . import services
from .models import CalendarException, Delegation, RoleAssignment, Unit


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["agency_code", "name_vi", "level", "parent", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["agency_code", "name_vi", "name_en"]
    readonly_fields = ["path"]
    inlines = [RoleInline]

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        saved = services.save_unit(
            agency_code=obj.agency_code, name_vi=obj.name_vi, name_en=obj.name_en, level=obj.level,
            parent=obj.parent, address=obj.address, phone=obj.phone, email=obj.email,
            province_code=obj.province_code,
        )
        obj.pk, obj.path = saved.pk, saved.path

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for assignment in formset.save(commit=False):
            services.assign_role(assignment.user, form.instance, assignment.role)
        for removed in formset.deleted_objects:
            removed.delete()


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ["unit", "delegator", "delegate", "starts_on", "ends_on", "revoked_at"]
    list_filter = ["unit"]
    readonly_fields = ["created_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: Delegation, form: Any, change: bool) -> None:
        saved = services.delegate_approval(delegator=obj.delegator, delegate=obj.delegate, unit=obj.unit,
                                           starts_on=obj.starts_on, ends_on=obj.ends_on, reason=obj.reason)
        obj.pk = saved.pk

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None  # a delegation is created or revoked, never edited

    @admin.action(description="Revoke the selected delegations")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for delegation in queryset:
            services.revoke_delegation(delegation)


class CalendarExceptionForm(forms.ModelForm):
    class Meta:
        model = CalendarException
        fields = ["unit", "day", "kind", "reason"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if "day" in cleaned and "kind" in cleaned:
            for error in services.calendar_exception_errors(
                unit=cleaned.get("unit"), day=cleaned["day"], kind=cleaned["kind"], reason=cleaned.get("reason", "")
            ):
                self.add_error(error.field if error.field in self.fields else None, str(error.message))
        return cleaned

    def validate_unique(self) -> None:
        """Uniqueness is one of the service's rules, checked in clean() with its own message."""


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    form = CalendarExceptionForm
    list_display = ["day", "kind", "unit", "reason", "created_by"]
    list_filter = ["kind"]
    search_fields = ["reason", "unit__agency_code", "unit__name_vi"]
    date_hierarchy = "day"
    autocomplete_fields = ["unit"]
    fields = ["unit", "day", "kind", "reason", "created_at", "created_by"]
    readonly_fields = ["created_at", "created_by"]

    def save_model(self, request: HttpRequest, obj: CalendarException, form: Any, change: bool) -> None:
        saved = services.add_calendar_exception(
            unit=obj.unit, day=obj.day, kind=obj.kind, reason=obj.reason, created_by=request.user
        )
        obj.pk, obj.created_at, obj.created_by = saved.pk, saved.created_at, saved.created_by

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None  # an exception is added or removed, never edited

    def delete_model(self, request: HttpRequest, obj: CalendarException) -> None:
        services.remove_calendar_exception(obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for exc in queryset:
            services.remove_calendar_exception(exc)
