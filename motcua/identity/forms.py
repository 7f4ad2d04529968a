"""Forms of the account pages. They only parse input; the rules (ID number, uniqueness, password strength) live in
services, whose errors `add_service_errors` puts back on the matching fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import FieldError

from .models import OrganizationType, Sex
from .services import CitizenSignup, OrganizationSignup


def add_service_errors(form: forms.Form, errors: list[FieldError]) -> None:
    """Show a service's FieldErrors on the form: on the field of the same name, else above the form."""
    for error in errors:
        field = error.field if error.field in form.fields else None
        form.add_error(field, str(error.message))


class LoginForm(forms.Form):
    identifier = forms.CharField(
        label=_("Identity number, tax code, e-mail or username"), max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"), max_length=4096, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class OtpForm(forms.Form):
    otp = forms.CharField(
        label=_("6-digit code"), max_length=12,
        help_text=_("The code your authenticator app shows now for this account."),
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*", "autofocus": True,
        }),
    )


class _PasswordPair(forms.Form):
    """A new password typed twice; the strength rules are the service's."""

    password = forms.CharField(
        label=_("Password"), strip=False, max_length=4096,
        help_text=_("At least 8 characters, not only digits, not a common password, not like your other details."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label=_("Password again"), strip=False, max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        password, confirm = cleaned.get("password"), cleaned.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", _("The two passwords are not the same."))
        return cleaned


class _ContactFields(forms.Form):
    phone = forms.CharField(
        label=_("Phone"), max_length=20, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label=_("E-mail"), max_length=254, help_text=_("Used to log in and to reset your password."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    address = forms.CharField(
        label=_("Address"), max_length=500, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )


class CitizenSignupForm(_ContactFields, _PasswordPair):
    national_id = forms.CharField(
        label=_("Citizen identity number"), max_length=12,
        help_text=_("The 12 digits of your citizen identity card (CCCD)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "pattern": "[0-9]*"}),
    )
    full_name = forms.CharField(
        label=_("Full name"), max_length=255, widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", _("Choose…")), *Sex.choices])
    field_order = ["national_id", "full_name", "birth_date", "sex", "phone", "email", "address",
                   "password", "password_confirm"]

    def signup(self) -> CitizenSignup:
        data = self.cleaned_data
        return CitizenSignup(
            national_id=data["national_id"], full_name=data["full_name"], birth_date=data["birth_date"],
            sex=data["sex"], phone=data["phone"], email=data["email"], address=data["address"],
            password=data["password"],
        )


class OrganizationSignupForm(_ContactFields, _PasswordPair):
    tax_code = forms.CharField(
        label=_("Tax code"), max_length=14,
        help_text=_("10 digits, or 10 digits, a hyphen and 3 digits for a branch."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    organization_name = forms.CharField(
        label=_("Organization name"), max_length=255, widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    organization_type = forms.ChoiceField(label=_("Organization type"), choices=OrganizationType.choices)
    representative = forms.CharField(
        label=_("Legal representative"), max_length=255, widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    field_order = ["tax_code", "organization_name", "organization_type", "representative", "phone", "email",
                   "address", "password", "password_confirm"]

    def signup(self) -> OrganizationSignup:
        data = self.cleaned_data
        return OrganizationSignup(
            tax_code=data["tax_code"], organization_name=data["organization_name"],
            organization_type=data["organization_type"], representative=data["representative"],
            phone=data["phone"], email=data["email"], address=data["address"], password=data["password"],
        )
