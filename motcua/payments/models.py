"""Payments of fees and charges on a dossier (thanh toán trực tuyến), through a payment gateway."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.dossiers.models import Dossier


class PaymentStatus(models.TextChoices):
    # The national payment platform's transaction statuses, plus `expired`: never finished at the gateway in time.
    PENDING = "pending", _("Pending")
    SUCCESS = "success", _("Success")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class Purpose(models.TextChoices):
    FEES = "fees", _("Fees of the procedure")          # due from submission (the procedure's fees and charges)
    OBLIGATION = "obligation", _("Financial obligation")  # asked by the unit (`request_payment`, status 6)


class Payment(models.Model):
    """One attempt to pay an amount due on a dossier at a gateway; settled once (success, failed or expired)."""

    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="payments")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    # The history event (seq) of the `request_payment` this pays; 0 for the procedure's fees.
    request_seq = models.PositiveIntegerField(default=0)
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"))
    items = models.JSONField(_("items"), default=list, help_text=_("[{name_vi, name_en, amount_vnd}]"))
    gateway = models.CharField(_("gateway"), max_length=30)
    reference = models.CharField(_("merchant reference"), max_length=40, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=PaymentStatus.choices,
                              default=PaymentStatus.PENDING)
    transaction_id = models.CharField(_("gateway transaction id"), max_length=100, blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=40, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    settled_by = models.CharField(_("settled by"), max_length=20, blank=True,
                                  help_text=_("callback or reconciliation"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        indexes = [
            models.Index(fields=["dossier", "-id"], name="pay_dossier_id_idx"),
            models.Index(fields=["status", "created_at"], name="pay_status_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount_vnd} VND ({self.status})"


class SandboxCharge(models.Model):
    """What the local sandbox gateway knows of a payment (its own ledger, asked by reconciliation)."""

    reference = models.CharField(max_length=40, unique=True)
    amount_vnd = models.PositiveBigIntegerField()
    status = models.CharField(max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    transaction_id = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("sandbox charge")
        verbose_name_plural = _("sandbox charges")

    def __str__(self) -> str:
        return f"{self.reference} ({self.status})"
