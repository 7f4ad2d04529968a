from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.core import clock


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
