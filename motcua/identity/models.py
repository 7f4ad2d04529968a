from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    ORGANIZATION = "organization", _("Organization")
    STAFF = "staff", _("Staff")


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class OrganizationType(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    AGENCY = "agency", _("Agency")
    OTHER = "other", _("Other organization")


class IdentityMethod(models.TextChoices):
    """How an applicant's identity was vouched for (xác thực danh tính)."""

    NONE = "none", _("Not verified")
    REGISTRY = "registry", _("Population registry")
    OIDC = "oidc", _("National identity provider")


class User(AbstractUser):
    """Every account: applicants (citizens, organizations) and staff. Applicants log in with ID number or e-mail."""

    kind = models.CharField(_("account kind"), max_length=20, choices=AccountKind.choices, default=AccountKind.CITIZEN)
    full_name = models.CharField(_("full name"), max_length=255, blank=True)
    # Citizen (công dân)
    national_id = models.CharField(
        _("citizen identity number"), max_length=12, unique=True, null=True, blank=True,
        help_text=_("12-digit citizen identity number (CCCD)."),
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    # The commune (agency code of its unit) of the applicant's address: which unit serves them.
    home_unit = models.ForeignKey(
        "organization.Unit", verbose_name=_("unit serving the address"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    # Organization (tổ chức)
    tax_code = models.CharField(_("tax code"), max_length=14, unique=True, null=True, blank=True)
    organization_name = models.CharField(_("organization name"), max_length=255, blank=True)
    organization_type = models.CharField(
        _("organization type"), max_length=20, choices=OrganizationType.choices, blank=True
    )
    representative = models.CharField(_("legal representative"), max_length=255, blank=True)
    # Identity verification: by the population registry (sign-up, submission) or by the national identity provider.
    identity_method = models.CharField(_("identity verified by"), max_length=10, choices=IdentityMethod.choices,
                                       default=IdentityMethod.NONE, editable=False)
    identity_verified_at = models.DateTimeField(_("identity verified at"), null=True, blank=True, editable=False)
    # Lockout after repeated failed logins.
    failed_logins = models.PositiveIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [models.Index(fields=["email"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == AccountKind.ORGANIZATION and self.organization_name:
            return self.organization_name
        return self.full_name or self.get_full_name() or self.username

    @property
    def identity_verified(self) -> bool:
        return self.identity_method != IdentityMethod.NONE and self.identity_verified_at is not None

    @property
    def is_applicant(self) -> bool:
        return self.kind in (AccountKind.CITIZEN, AccountKind.ORGANIZATION)

    @property
    def is_staff_member(self) -> bool:
        return self.kind == AccountKind.STAFF


class ApiToken(models.Model):
    """A bearer token for the HTTP API. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # What the token may do, OAuth style: space-separated `<area>:read` / `<area>:write` (the area is the first segment
    # of the API path: dossiers, files, results, ...), or `*` for everything its account may do.
    scopes = models.CharField(max_length=500, default="*")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"token of {self.user_id} until {self.expires_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    def allows(self, scope: str) -> bool:
        granted = self.scopes.split()
        return "*" in granted or scope in granted or (scope.endswith(":read") and
                                                      scope.replace(":read", ":write") in granted)
