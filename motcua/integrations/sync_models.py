"""Models of the national portal sync (its local stand-in) and of webhook subscriptions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.core import clock


class NationalSyncMessage(models.Model):
    """A message for the national public service portal, kept here instead of sent when no portal URL is configured
    (`MOTCUA_NATIONAL_SYNC_URL` empty: development, demos). One row per message id: a replay writes nothing new."""

    message_id = models.CharField(_("message id"), max_length=120, unique=True,
                                  help_text=_("The outbox event id and the operation, e.g. 42-update."))
    operation = models.CharField(_("operation"), max_length=10)
    dossier_code = models.CharField(_("dossier code"), max_length=40)
    body = models.JSONField(_("body"), default=dict)
    created_at = models.DateTimeField(_("recorded at"), default=clock.now)

    class Meta:
        verbose_name = _("national sync message")
        verbose_name_plural = _("national sync messages")
        indexes = [models.Index(fields=["dossier_code", "id"], name="integ_natmsg_dossier_idx")]

    def __str__(self) -> str:
        return self.message_id


class WebhookSubscription(models.Model):
    """A subscriber (e.g. the data-sharing platform) that receives signed copies of chosen outbox events."""

    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("URL"), max_length=1000)
    secret = models.CharField(_("signing secret"), max_length=200,
                              help_text=_("Shared with the subscriber, who checks the signature with it."))
    topics = models.JSONField(_("topics"), default=list, blank=True,
                              help_text=_("Event topics to send; empty: every topic."))
    units = models.JSONField(_("units"), default=list, blank=True,
                             help_text=_("Agency codes of the handling units; empty: every unit."))
    procedure_fields = models.JSONField(_("procedure fields"), default=list, blank=True,
                                        help_text=_("Codes of the procedures' fields; empty: every field."))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def consumer_name(self) -> str:
        """The outbox consumer of this subscription's deliveries."""
        return f"webhook:{self.pk}"
