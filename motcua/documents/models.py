from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from motcua.core import clock
from motcua.core.errors import Conflict


def content_address(sha256: str) -> str:
    """The storage name of a blob: `files/<sha[0:2]>/<sha[2:4]>/<sha256>` (one blob per distinct content)."""
    return f"files/{sha256[0:2]}/{sha256[2:4]}/{sha256}"


class StoredFile(models.Model):
    """One upload by one user (tệp đã lưu). The bytes are content-addressed: identical uploads share one blob, each
    upload keeps its own row, owned by its uploader."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    # The type sniffed from the content, never the one the client declared.
    content_type = models.CharField(_("content type"), max_length=100)
    original_name = models.CharField(_("file name"), max_length=255)
    storage_name = models.CharField(_("storage name"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
        related_name="uploaded_files",
    )
    created_at = models.DateTimeField(_("uploaded at"), default=clock.now)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["uploaded_by", "-created_at"], name="documents_file_owner_recent")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"


class ResumableUpload(models.Model):
    """A resumable upload (tus 1.0) of one user (tệp đang tải lên): its bytes go to a partial file on disk until
    `offset` reaches `length`; then it is checked and becomes `file`. Unfinished uploads expire."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.CASCADE,
                              related_name="resumable_uploads")
    length = models.PositiveBigIntegerField(_("length (bytes)"))
    offset = models.PositiveBigIntegerField(_("bytes received"), default=0)
    name = models.CharField(_("file name"), max_length=255)
    # The accepted types of the component it is for (empty: the default set), fixed at creation.
    accept = models.JSONField(_("accepted types"), default=list, blank=True)
    file = models.OneToOneField(StoredFile, verbose_name=_("stored file"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="resumable_upload")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("resumable upload")
        verbose_name_plural = _("resumable uploads")
        indexes = [models.Index(fields=["owner", "file"], name="documents_upload_pending")]

    def __str__(self) -> str:
        return f"{self.name} ({self.offset}/{self.length})"

    @property
    def complete(self) -> bool:
        return self.file_id is not None


class DigitizationState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    PROCESSING = "processing", _("Processing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Digitization(models.Model):
    """The digitization of one stored file (số hóa): OCR into a searchable PDF/A archive copy, its text, page count
    and thumbnail. The original file is kept as it was; a failure keeps its reason and is retried with backoff."""

    file = models.OneToOneField(StoredFile, verbose_name=_("original file"), on_delete=models.CASCADE,
                                related_name="digitization")
    state = models.CharField(_("state"), max_length=12, choices=DigitizationState.choices,
                             default=DigitizationState.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    queued_at = models.DateTimeField(_("queued at"), default=clock.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=clock.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    reason = models.TextField(_("reason of the last failure"), blank=True)
    archive = models.ForeignKey(StoredFile, verbose_name=_("searchable PDF/A copy"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    thumbnail = models.ForeignKey(StoredFile, verbose_name=_("thumbnail"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("text"), blank=True)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    # The PDF/A part and conformance the archive copy meets (e.g. "2B"); blank when it is a plain searchable PDF
    # (the Ghostscript-free conversion could not approve it; see docs/decisions/0005-digitization-pipeline.md).
    pdfa = models.CharField(_("PDF/A conformance"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("digitization")
        verbose_name_plural = _("digitizations")
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="documents_digitization_due")]

    def __str__(self) -> str:
        return f"{self.file_id}: {self.state}"


# --- the electronic data warehouse --------------------------------------------------------------------------------

class WarehouseSource(models.TextChoices):
    DOSSIER_COMPONENT = "dossier_component", _("Dossier component")
    RESULT = "result", _("Electronic result")
    BULK = "bulk", _("Bulk digitization")
    NATIONAL_STORE = "national_store", _("National data store")


class WarehouseState(models.TextChoices):
    VALID = "valid", pgettext_lazy("result state", "Valid")  # a document stands like a result
    CANCELLED = "cancelled", _("Cancelled")
    REPLACED = "replaced", _("Replaced by a newer document")


class WarehouseDocument(models.Model):
    """A document in an applicant's electronic data warehouse (kho quản lý dữ liệu điện tử): a digitized paper, a
    dossier component or an electronic result, with its validity, reusable in later dossiers.

    `owner` is the applicant's account; a document filed for someone without an account yet keeps their identity
    number in `owner_id_number` (and no owner), so it is still theirs to claim."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="warehouse_documents")
    owner_id_number = models.CharField(_("owner identity number"), max_length=20, blank=True, db_index=True)
    document_type = models.ForeignKey("catalog.DocumentType", verbose_name=_("document type"), null=True,
                                      blank=True, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=500)
    number = models.CharField(_("number"), max_length=100, blank=True)
    issuer = models.CharField(_("issued by"), max_length=255, blank=True)
    issued_on = models.DateField(_("issue date"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True,
                                   help_text=_("Empty: valid without a time limit."))
    state = models.CharField(_("state"), max_length=12, choices=WarehouseState.choices,
                             default=WarehouseState.VALID)
    source = models.CharField(_("source"), max_length=20, choices=WarehouseSource.choices)
    file = models.ForeignKey(StoredFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="+")
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("source dossier"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    component_code = models.CharField(_("component"), max_length=50, blank=True)
    result = models.OneToOneField("results.Result", verbose_name=_("source result"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="warehouse_document")
    # The code of a paper result digitized in bulk (`<dossier>-KQ<n>`), when the document is one.
    result_code = models.CharField(_("result code"), max_length=60, blank=True, db_index=True)
    created_at = models.DateTimeField(_("filed at"), default=clock.now)
    changed_at = models.DateTimeField(_("cancelled or replaced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("warehouse document")
        verbose_name_plural = _("warehouse documents")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "document_type", "state"], name="warehouse_owner_type")]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "component_code", "file"], name="unique_warehouse_component",
                                    condition=models.Q(source="dossier_component")),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.owner_id_number or self.owner_id})"

    def is_valid_on(self, day: date) -> bool:
        """Still usable on `day`: neither cancelled nor replaced, and not past its validity."""
        return self.state == WarehouseState.VALID and (self.valid_until is None or self.valid_until >= day)


class AccessPurpose(models.TextChoices):
    VIEW = "view", _("Viewed")
    DOWNLOAD = "download", _("Downloaded")
    REUSE = "reuse", _("Reused in a dossier")


class DocumentAccess(models.Model):
    """One access to a warehouse document: who, when, why. Append-only: never edited, never deleted."""

    document = models.ForeignKey(WarehouseDocument, verbose_name=_("document"), on_delete=models.PROTECT,
                                 related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    user_name = models.CharField(_("by"), max_length=255, blank=True)
    at = models.DateTimeField(_("at"), default=clock.now)
    purpose = models.CharField(_("purpose"), max_length=10, choices=AccessPurpose.choices)
    dossier_code = models.CharField(_("dossier"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("warehouse access")
        verbose_name_plural = _("warehouse access log")
        ordering = ["document", "-at", "-id"]

    def __str__(self) -> str:
        return f"{self.document_id} {self.purpose} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise Conflict(_("The access log is append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise Conflict(_("The access log is append-only."))
