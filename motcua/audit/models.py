from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.core import clock


class AuditEntry(models.Model):
    """One security-relevant event (nhật ký kiểm toán), append-only and hash-chained: `hash` covers this row's fields
    and the previous row's hash, so changing or deleting any row breaks the chain (`manage.py audit_verify`)."""

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("at"), default=clock.now)
    actor_id = models.BigIntegerField(_("actor"), null=True, blank=True)
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object"), max_length=100, blank=True)
    ip = models.CharField(_("address"), max_length=45, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """The end of the chain (one row): the last sequence number and hash. Appends lock it, so the chain has one order
    even under concurrent writers, and a deleted tail shows as a head that points past the last row."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"
