from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import Conflict


class OnlineLevel(models.TextChoices):
    FULL = "full", _("Full-process online")
    PARTIAL = "partial", _("Partial online")
    NONE = "none", _("Not online")


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    WORKING_HOURS = "working_hours", _("working hours")
    DAYS = "days", _("days")
    MONTHS = "months", _("months")


class Subject(models.TextChoices):
    CITIZEN = "citizen", _("Citizens")
    ENTERPRISE = "enterprise", _("Enterprises")
    AGENCY = "agency", _("Agencies")
    FOREIGNER = "foreigner", _("Foreigners")


class Channel(models.IntegerChoices):
    IN_PERSON = 1, _("In person")
    ONLINE = 2, _("Online")
    POST = 3, _("Public postal service")


class ProcedureStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ABOLISHED = "abolished", _("Abolished")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published (in force)")
    SUPERSEDED = "superseded", _("Superseded by an amendment")


class Field(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255)
    illustrative = models.BooleanField(
        _("illustrative"), default=False, help_text=_("Not taken from a real published source.")
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("field")
        verbose_name_plural = _("fields")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name_vi


class DocumentType(models.Model):
    """A kind of document the applicants' electronic data warehouse holds (loại giấy tờ): what a component accepts
    and what a procedure's result produces, so a result of one procedure can be reused in another."""

    code = models.CharField(_("code"), max_length=80, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("document type")
        verbose_name_plural = _("document types")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.name_vi}"

    def name(self, language: str = "vi") -> str:
        return self.name_en if language == "en" and self.name_en else self.name_vi


class Procedure(models.Model):
    """A procedure's identity (its code) and lifecycle; what it says lives in its immutable versions."""

    code = models.CharField(_("procedure code"), max_length=30, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ProcedureStatus.choices, default=ProcedureStatus.DRAFT
    )
    field = models.ForeignKey(Field, verbose_name=_("field"), on_delete=models.PROTECT, related_name="procedures")
    current_version = models.ForeignKey(
        "ProcedureVersion", verbose_name=_("version in force"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    # Folded (no diacritics, lower case) code, names and field name of the version in force, for search.
    search_text = models.TextField(editable=False, default="")
    abolished_at = models.DateTimeField(_("abolished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class ProcedureVersion(models.Model):
    """One published text of a procedure. Once published it never changes: an amendment is a new version."""

    procedure = models.ForeignKey(Procedure, verbose_name=_("procedure"), on_delete=models.PROTECT,
                                  related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=500)
    name_en = models.CharField(_("name (English)"), max_length=500)
    field = models.ForeignKey(Field, verbose_name=_("field"), on_delete=models.PROTECT, related_name="+")
    levels = models.JSONField(_("implementing unit levels"), default=list)
    subjects = models.JSONField(_("subjects"), default=list)
    channels = models.JSONField(_("channels"), default=list)
    online_level = models.CharField(_("online level"), max_length=10, choices=OnlineLevel.choices)
    time_limit_value = models.DecimalField(_("time limit"), max_digits=8, decimal_places=2)
    time_limit_unit = models.CharField(_("time limit unit"), max_length=20, choices=TimeUnit.choices)
    time_limit_note_vi = models.TextField(_("time limit note (Vietnamese)"), blank=True)
    time_limit_note_en = models.TextField(_("time limit note (English)"), blank=True)
    agency_vi = models.TextField(_("implementing agency (Vietnamese)"))
    agency_en = models.TextField(_("implementing agency (English)"), blank=True)
    steps_vi = models.TextField(_("steps (Vietnamese)"))
    steps_en = models.TextField(_("steps (English)"), blank=True)
    method_vi = models.TextField(_("method of implementation (Vietnamese)"), blank=True)
    method_en = models.TextField(_("method of implementation (English)"), blank=True)
    requirements_vi = models.TextField(_("requirements and conditions (Vietnamese)"), blank=True)
    requirements_en = models.TextField(_("requirements and conditions (English)"), blank=True)
    result_type_vi = models.CharField(_("result (Vietnamese)"), max_length=500)
    result_type_en = models.CharField(_("result (English)"), max_length=500, blank=True)
    paper_result_required = models.BooleanField(_("paper result required"), default=False)
    # The warehouse document type the result produces (a DocumentType code), so it can be reused; "" for none.
    result_document_type = models.CharField(_("document type of the result"), max_length=80, blank=True)
    form_schema = models.JSONField(_("e-form (JSON Schema)"), default=dict)
    process = models.JSONField(
        _("process definition"), default=dict, blank=True,
        help_text=_("Steps, roles, time shares and actions (catalog/process.py); empty: the default four steps."),
    )
    content_hash = models.CharField(max_length=64, editable=False, db_index=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("procedure version")
        verbose_name_plural = _("procedure versions")
        ordering = ["procedure", "number"]
        constraints = [models.UniqueConstraint(fields=["procedure", "number"], name="unique_version_number")]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk:
            stored = ProcedureVersion.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            changing_status_only = set(kwargs.get("update_fields") or ()) <= {"status"} and kwargs.get("update_fields")
            if stored in (VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED) and not changing_status_only:
                raise Conflict("A published procedure version is immutable; publish an amendment instead.")
        super().save(*args, **kwargs)

    def text(self, name: str, language: str = "vi") -> str:
        """The `name` text (e.g. "steps") in `language`, falling back to Vietnamese."""
        english = getattr(self, f"{name}_en", "")
        return english if language == "en" and english else getattr(self, f"{name}_vi")


class Component(models.Model):
    """A document the applicant supplies (thành phần hồ sơ)."""

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="components")
    code = models.CharField(_("code"), max_length=50)
    position = models.PositiveIntegerField(_("position"), default=0)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=500)
    name_en = models.CharField(_("name (English)"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=True)
    copies = models.CharField(_("number of copies"), max_length=100, default="1")
    template = models.CharField(_("template file"), max_length=255, blank=True)
    must_digitize = models.BooleanField(_("must be digitized"), default=False)
    accepted_document_types = models.JSONField(_("warehouse document types that satisfy it"), default=list)
    accepted_content_types = models.JSONField(_("accepted file types"), default=list)

    class Meta:
        verbose_name = _("component")
        verbose_name_plural = _("components")
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="unique_component_code")]

    def __str__(self) -> str:
        return f"{self.code}: {self.name_vi}"


class Fee(models.Model):
    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="fees")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=[("fee", _("Fee")), ("charge", _("Charge"))])
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=500)
    name_en = models.CharField(_("name (English)"), max_length=500, blank=True)
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"))
    payer_vi = models.CharField(_("who pays (Vietnamese)"), max_length=255, blank=True)
    payer_en = models.CharField(_("who pays (English)"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("fee or charge")
        verbose_name_plural = _("fees and charges")
        ordering = ["version", "position"]

    def __str__(self) -> str:
        return f"{self.name_vi}: {self.amount_vnd} VND"


class LegalBasis(models.Model):
    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="legal_basis")
    position = models.PositiveIntegerField(default=0)
    number = models.CharField(_("document number"), max_length=100)
    title_vi = models.CharField(_("title (Vietnamese)"), max_length=500)
    title_en = models.CharField(_("title (English)"), max_length=500, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_to = models.DateField(_("effective to"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal basis")
        verbose_name_plural = _("legal bases")
        ordering = ["version", "position"]

    def __str__(self) -> str:
        return self.number


class AnnouncementAction(models.TextChoices):
    ADD = "add", _("New")
    AMEND = "amend", _("Amended")
    ABOLISH = "abolish", _("Abolished")


class Announcement(models.Model):
    """The decision announcing procedures (quyết định công bố): adds, amends, abolishes."""

    decision_number = models.CharField(_("decision number"), max_length=100, unique=True)
    decision_date = models.DateField(_("decision date"))
    issuer_vi = models.CharField(_("issued by (Vietnamese)"), max_length=255, blank=True)
    issuer_en = models.CharField(_("issued by (English)"), max_length=255, blank=True)
    title_vi = models.CharField(_("title (Vietnamese)"), max_length=500, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=500, blank=True)
    effective_date = models.DateField(_("effective date"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"))

    class Meta:
        verbose_name = _("procedure announcement")
        verbose_name_plural = _("procedure announcements")
        ordering = ["-decision_date", "decision_number"]

    def __str__(self) -> str:
        return self.decision_number


class AnnouncementItem(models.Model):
    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="items")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="announcement_items")
    action = models.CharField(_("action"), max_length=10, choices=AnnouncementAction.choices)
    version = models.ForeignKey(ProcedureVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("announced procedure")
        verbose_name_plural = _("announced procedures")
        constraints = [models.UniqueConstraint(fields=["announcement", "procedure"], name="unique_announced")]

    def __str__(self) -> str:
        return f"{self.announcement} {self.action} {self.procedure}"
