"""The transactional outbox (events and their per-consumer deliveries) and in-app notifications.

An `OutboxEvent` is written in the same transaction as the change it announces (see `outbox.emit`); its id gives the
order of events. Each consumer subscribed to the event's topic gets one `OutboxDelivery`, retried on its own, so one
failing consumer never holds back another.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.core import clock


class OutboxEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    topic = models.CharField(_("topic"), max_length=100, help_text=_("What happened, e.g. dossier.status_changed."))
    key = models.CharField(_("key"), max_length=100, help_text=_("What it happened to, e.g. a dossier code."))
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        indexes = [models.Index(fields=["key", "id"], name="integ_event_key_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.topic} {self.key}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class OutboxDelivery(models.Model):
    """One consumer's copy of one event: pending until its handler succeeds, failed after the last attempt."""

    event = models.ForeignKey(OutboxEvent, verbose_name=_("event"), on_delete=models.CASCADE,
                              related_name="deliveries")
    consumer = models.CharField(_("consumer"), max_length=100)
    status = models.CharField(_("status"), max_length=20, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When the delivery is next due; while a worker holds it, the end of that worker's lease.
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=clock.now)
    last_error = models.TextField(_("last error"), blank=True, default="")
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox delivery")
        verbose_name_plural = _("outbox deliveries")
        constraints = [models.UniqueConstraint(fields=["event", "consumer"], name="integ_delivery_event_consumer")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="integ_delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.consumer} ← #{self.event_id} ({self.status})"


class Notification(models.Model):
    """An in-app message to one account. Title and body are stored in Vietnamese and in English."""

    # Not indexed alone: both composite indexes below start with the user.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.CASCADE,
                             related_name="notifications", db_index=False)
    # The event this notification was made from: with `user`, unique, so a delivery run twice makes one notification.
    event = models.ForeignKey(OutboxEvent, verbose_name=_("event"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    key = models.CharField(_("key"), max_length=100, blank=True, help_text=_("The dossier code, if any."))
    topic = models.CharField(_("topic"), max_length=100)
    title_vi = models.CharField(_("title (Vietnamese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300)
    body_vi = models.TextField(_("body (Vietnamese)"), blank=True)
    body_en = models.TextField(_("body (English)"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="integ_notification_event_user")]
        indexes = [
            # Lists are newest first by id (keyset pagination on id); ids grow with created_at.
            models.Index(fields=["user", "-id"], name="integ_notif_user_id_idx"),
            models.Index(fields=["user", "created_at"], name="integ_notif_user_created_idx"),
        ]

    def __str__(self) -> str:
        return self.title_vi

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" and self.title_en else self.title_vi

    def body(self, lang: str) -> str:
        return self.body_en if lang == "en" and self.body_en else self.body_vi

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How an account wants to hear about its dossiers: channels on or off, and the language of SMS. No row: every
    channel on, Vietnamese. The SMS number is the account's phone (identity.User.phone)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.CASCADE,
                                related_name="notification_preference")
    email = models.BooleanField(_("e-mail"), default=True)
    sms = models.BooleanField(_("SMS"), default=True)
    in_app = models.BooleanField(_("in-app"), default=True)
    language = models.CharField(_("language"), max_length=2, default="vi",
                                choices=[("vi", "Tiếng Việt"), ("en", "English")])
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: e-mail {self.email}, SMS {self.sms}, in-app {self.in_app} ({self.language})"


# The national sync's local stand-in and webhook subscriptions live in their own module.
from .sync_models import NationalSyncMessage, WebhookSubscription  # noqa: E402, F401
