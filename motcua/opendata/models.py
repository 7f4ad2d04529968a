"""Published datasets (CKAN "packages") and their generated files (CKAN "resources").

The metadata of a dataset comes from its definition in `datasets.py`; the refresh writes it here with the files, so
that the pages, the action API and the DCAT catalog read one table. A resource keeps its bytes, their SHA-256 and
size; `last_modified` moves only when the bytes change.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dataset(models.Model):
    """One published dataset (bộ dữ liệu mở)."""

    id = models.UUIDField(primary_key=True, editable=False)
    name = models.SlugField(_("name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title_vi = models.CharField(_("title (Vietnamese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300)
    notes_vi = models.TextField(_("description (Vietnamese)"))
    notes_en = models.TextField(_("description (English)"))
    organization = models.ForeignKey("organization.Unit", verbose_name=_("publisher"), on_delete=models.PROTECT,
                                     related_name="+")
    groups = models.JSONField(_("categories"), default=list)
    tags = models.JSONField(_("keywords"), default=list)
    license_id = models.CharField(_("licence"), max_length=50)
    frequency = models.CharField(_("update frequency"), max_length=20, default="DAILY")
    created_at = models.DateTimeField(_("created at"))
    modified_at = models.DateTimeField(_("modified at"))

    class Meta:
        verbose_name = _("open dataset")
        verbose_name_plural = _("open datasets")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def title(self, language: str = "vi") -> str:
        return self.title_en if language == "en" and self.title_en else self.title_vi

    def notes(self, language: str = "vi") -> str:
        return self.notes_en if language == "en" and self.notes_en else self.notes_vi


class Resource(models.Model):
    """One file of a dataset (CSV or JSON), regenerated from live data."""

    id = models.UUIDField(primary_key=True, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources")
    format = models.CharField(_("format"), max_length=10)
    position = models.PositiveSmallIntegerField(default=0)
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created_at = models.DateTimeField(_("created at"))
    last_modified = models.DateTimeField(_("last modified"))

    class Meta:
        verbose_name = _("open data file")
        verbose_name_plural = _("open data files")
        ordering = ["dataset", "position"]
        constraints = [models.UniqueConstraint(fields=["dataset", "format"], name="unique_resource_format")]

    def __str__(self) -> str:
        return f"{self.dataset_id}.{self.extension}"

    @property
    def extension(self) -> str:
        return self.format.lower()


NAMESPACE = uuid.UUID("8f1d7c2e-4b0a-5e7f-9a51-6c3b2d9e0f14")


def stable_id(*parts: str) -> uuid.UUID:
    """The same UUID for the same dataset or resource on every installation (CKAN ids are UUIDs)."""
    return uuid.uuid5(NAMESPACE, "/".join(parts))
