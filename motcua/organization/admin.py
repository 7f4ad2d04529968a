"""Admin for units, roles and delegations. Every save goes through organization.services (rules written once)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from . import services
from .models import Delegation, RoleAssignment, Unit


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
