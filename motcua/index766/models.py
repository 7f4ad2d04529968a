"""Counters of the service-quality index, kept up to date from the outbox and rebuilt by `recompute_index`.

`Counter` holds sums per (period, receiving unit, procedure, key, due): reading a scorecard sums a few thousand of
these rows instead of scanning dossiers. `DossierContribution` remembers what each dossier added, so an event on a
dossier replaces its old contribution by the new one (a delta), whatever order the events come in.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Counter(models.Model):
    # "2024" (year), "2024Q1" (quarter), "2024-03" (month), or "T2024-03": the tail of still-open dossiers, which
    # counts in every period starting on or after that month (see rules.py).
    period = models.CharField(_("period"), max_length=8)
    unit = models.ForeignKey("organization.Unit", on_delete=models.CASCADE, related_name="+")
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("key"), max_length=20)
    # Effective due time (Unix seconds) of open dossiers, whose on-time state depends on the reading time; else 0.
    due = models.BigIntegerField(default=0)
    count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("index counter")
        verbose_name_plural = _("index counters")
        constraints = [models.UniqueConstraint(fields=["period", "unit", "procedure", "key", "due"],
                                               name="index766_counter_unique")]
        # A scorecard reads (period, unit, procedure, key, due, count) of one period: the index answers it without
        # reading the table (covering), on SQLite and PostgreSQL alike.
        indexes = [models.Index(fields=["period", "unit", "procedure", "key", "due", "count"],
                                name="index766_counter_read")]

    def __str__(self) -> str:
        return f"{self.period} {self.unit_id}/{self.procedure_id} {self.key}={self.count}"


class DossierContribution(models.Model):
    """What one dossier adds to the counters: [[period, key, due, count], ...] (unit and procedure are the dossier's
    receiving unit and procedure, kept here so a delta can remove the old rows even if they ever change)."""

    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.CASCADE, primary_key=True, related_name="+")
    unit_id_value = models.IntegerField()
    procedure_id_value = models.IntegerField()
    rows = models.JSONField(default=list)

    class Meta:
        verbose_name = _("dossier contribution to the index")
        verbose_name_plural = _("dossier contributions to the index")

    def __str__(self) -> str:
        return f"{self.dossier_id}: {len(self.rows)} rows"
