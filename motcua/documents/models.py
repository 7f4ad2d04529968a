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
