from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitLevel(models.TextChoices):
    MINISTRY = "ministry", _("Ministry")
    DEPARTMENT = "department", _("Department / provincial military command")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune")


LEVEL_ORDER = [UnitLevel.MINISTRY, UnitLevel.DEPARTMENT, UnitLevel.DISTRICT, UnitLevel.COMMUNE]


class Unit(models.Model):
    """A unit of the tree: ministry > department or provincial military command > district > commune."""

    agency_code = models.CharField(
        _("agency identifier code"), max_length=20, unique=True,
        help_text=_("Format V1V2V3.Z1Z2.Y1Y2.MX1X2, e.g. 000.00.01.H26; starts every dossier code of the unit."),
    )
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    level = models.CharField(_("level"), max_length=20, choices=UnitLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialized path "/<id>/<id>/.../" so a unit's whole subtree is one indexed prefix query.
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    address = models.CharField(_("address"), max_length=500, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    province_code = models.CharField(
        _("province code"), max_length=3, blank=True, help_text=_("Province code (001-096) of the area it serves.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]

    def __str__(self) -> str:
        return f"{self.name_vi} ({self.agency_code})"

    def name(self, language: str = "vi") -> str:
        return self.name_en if language == "en" and self.name_en else self.name_vi


class Role(models.TextChoices):
    ONESTOP = "onestop", _("One-stop officer")
    HANDLER = "handler", _("Handler")
    LEADER = "leader", _("Leader (approver)")
    UNIT_ADMIN = "unit_admin", _("Unit administrator")
    INDEX_VIEWER = "index_viewer", _("Index viewer")
    SYSADMIN = "sysadmin", _("System administrator")


class RoleAssignment(models.Model):
    """A staff account holds `role` in `unit` (and, for reading, in the unit's subtree)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("assigned at"))

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="unique_role_per_unit")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit.agency_code}"


class Delegation(models.Model):
    """A leader lets a deputy approve on their behalf in `unit`, from `starts_on` to `ends_on` inclusive."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="delegations")
    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("leader"), on_delete=models.PROTECT, related_name="delegations_given"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("deputy"), on_delete=models.PROTECT,
        related_name="delegations_received",
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delegation of approval")
        verbose_name_plural = _("delegations of approval")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="delegation_range"),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate} ({self.starts_on}..{self.ends_on})"


class CalendarExceptionKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday (closed)")
    WORKDAY = "workday", _("Working day (e.g. a swapped Saturday)")


class CalendarException(models.Model):
    """A day a unit (and its subtree) is closed or works against the national calendar; no unit = everywhere.

    The national calendar (weekends, public holidays, the government's swapped days) comes from the `holidays`
    package; see motcua.core.worktime and organization.queries.calendar_for.
    """

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="calendar_exceptions", help_text=_("Empty: applies to every unit."),
    )
    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=10, choices=CalendarExceptionKind.choices)
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["day", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "day"], name="unique_calendar_exception_per_unit"),
            # NULLs are distinct in a unique index: one global exception per day needs its own partial index.
            models.UniqueConstraint(
                fields=["day"], condition=models.Q(unit__isnull=True), name="unique_global_calendar_exception"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=CalendarExceptionKind.values), name="calendar_exception_kind"
            ),
        ]

    def __str__(self) -> str:
        where = self.unit.agency_code if self.unit_id else "*"
        return f"{self.day} {self.get_kind_display()} ({where})"
