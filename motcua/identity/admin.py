"""Admin for accounts. Lockouts are lifted through identity.services.unlock; identity numbers are checked with the
same validators as sign-up; the admin's own login page sends people to the account login (lockout, second factor)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import User
from .validators import citizen_id_errors, tax_code_errors


class UserChangeForm(DjangoUserChangeForm):
    """Blank identity numbers are stored as NULL (they are unique); filled ones follow the sign-up rules."""

    class Meta(DjangoUserChangeForm.Meta):
        model = User

    def clean_national_id(self) -> str | None:
        return self.cleaned_data.get("national_id") or None

    def clean_tax_code(self) -> str | None:
        return self.cleaned_data.get("tax_code") or None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        errors = []
        if cleaned.get("national_id"):
            errors += citizen_id_errors(cleaned["national_id"], birth_date=cleaned.get("birth_date"),
                                        sex=cleaned.get("sex"))
        if cleaned.get("tax_code"):
            errors += tax_code_errors(cleaned["tax_code"])
        for error in errors:
            self.add_error(error.field if error.field in self.fields else None, str(error.message))
        return cleaned


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    list_display = ["username", "kind", "national_id", "tax_code", "full_name", "email", "is_active", "locked_until"]
    list_filter = ["kind", "identity_method", "is_active", "is_staff", "is_superuser"]
    search_fields = ["username", "national_id", "tax_code", "full_name", "organization_name", "email"]
    ordering = ["username"]
    readonly_fields = ["failed_logins", "locked_until", "last_login", "date_joined", "identity_method",
                       "identity_verified_at"]
    actions = ["unlock_accounts"]
    fieldsets = (
        (None, {"fields": ("username", "password", "kind")}),
        (_("Citizen"), {"fields": ("full_name", "national_id", "birth_date", "sex", "identity_method",
                                   "identity_verified_at")}),
        (_("Organization"), {"fields": ("tax_code", "organization_name", "organization_type", "representative")}),
        (_("Contact"), {"fields": ("email", "phone", "address", "home_unit")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Login"), {"fields": ("failed_logins", "locked_until", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "kind", "full_name", "email", "usable_password",
                                                "password1", "password2")}),
    )
    raw_id_fields = ["home_unit"]

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = services.unlock(queryset)
        self.message_user(request, ngettext("%(count)d account was locked and is now unlocked.",
                                            "%(count)d accounts were locked and are now unlocked.", count)
                          % {"count": count}, messages.SUCCESS)


def _login_through_identity(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The admin's login page: the account login, which counts failures and asks staff for their second factor."""
    if request.user.is_authenticated:
        # Logged in but not allowed in the admin (not is_staff, or inactive).
        raise PermissionDenied
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("identity:login"))


admin.site.login = _login_through_identity
