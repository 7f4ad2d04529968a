from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from motcua.core import clock


class State(models.TextChoices):
    """A result's standing in the registry. Cancelled and replaced results stay retrievable and verifiable."""

    VALID = "valid", pgettext_lazy("result state", "Valid")
    CANCELLED = "cancelled", _("Cancelled")
    REPLACED = "replaced", _("Replaced by a newer result")


class Result(models.Model):
    """An electronic result (kết quả giải quyết điện tử): the signed PDF of a decision, stored in the holder's
    electronic data warehouse under `<dossier code>-KQ<n>`."""

    code = models.CharField(_("result code"), max_length=60, unique=True)
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), on_delete=models.PROTECT,
                                related_name="results")
    number = models.PositiveSmallIntegerField(_("number within the dossier"))
    title = models.CharField(_("title"), max_length=500)
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("holder account"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="results")
    holder_name = models.CharField(_("holder name"), max_length=255)
    holder_id_number = models.CharField(_("holder identity number"), max_length=20, blank=True, db_index=True)
    issuer = models.ForeignKey("organization.Unit", verbose_name=_("issuing unit"), on_delete=models.PROTECT,
                               related_name="issued_results")
    issued_at = models.DateTimeField(_("issued at"), default=clock.now)
    valid_until = models.DateField(_("valid until"), null=True, blank=True,
                                   help_text=_("Empty: valid without a time limit."))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.VALID)
    file = models.ForeignKey("documents.StoredFile", verbose_name=_("signed PDF"), on_delete=models.PROTECT,
                             related_name="+")
    # The QR seal: a compact ES256 JWS over the claims below; `content_sha256` covers the first `content_length` bytes
    # of the signed file (the rendered document, before the seal and the signatures were appended to it).
    seal = models.TextField(_("QR seal"))
    content_sha256 = models.CharField(_("SHA-256 of the rendered document"), max_length=64)
    content_length = models.PositiveIntegerField(_("length of the rendered document"))
    signers = models.JSONField(_("signers"), default=list, help_text=_("Who signed, in order: name and kind."))
    replaces = models.OneToOneField("self", verbose_name=_("replaces"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="replaced_by")
    changed_at = models.DateTimeField(_("cancelled or replaced at"), null=True, blank=True)
    changed_by_name = models.CharField(_("cancelled or replaced by"), max_length=255, blank=True)
    change_reason = models.TextField(_("reason for cancellation or replacement"), blank=True)

    class Meta:
        verbose_name = _("electronic result")
        verbose_name_plural = _("electronic results")
        ordering = ["-issued_at"]
        constraints = [models.UniqueConstraint(fields=["dossier", "number"], name="unique_result_number")]
        indexes = [models.Index(fields=["holder", "-issued_at"], name="results_holder_recent")]

    def __str__(self) -> str:
        return self.code

    @property
    def expired(self) -> bool:
        return self.valid_until is not None and clock.today() > self.valid_until

    @property
    def standing(self) -> str:
        """valid, cancelled, replaced or expired: what a verifier is told."""
        if self.state == State.VALID and self.expired:
            return "expired"
        return self.state
