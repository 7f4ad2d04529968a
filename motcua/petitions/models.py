"""Petitions (phản ánh, kiến nghị — PAKN): feedback and complaints about a procedure or a dossier.

A petition moves through states that map onto the state families of index-766.md 5.2:

    received (waiting reception) -> handling (classified, assigned) -> answered (awaiting publication) -> published
                                 \\-> refused                          \\-> info_requested -> handling (info given)

Every stage that has a deadline (refusal, first information request, answer, publication) stores its due instant
(computed in working days when the stage's clock starts) and whether it was met, so the index reads facts, not
recomputations.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import Conflict


class Kind(models.TextChoices):
    FEEDBACK = "feedback", _("Feedback")
    COMPLAINT = "complaint", _("Complaint")


class Category(models.TextChoices):
    """index-766.md 5.1: about regulations, policies and procedures, or about staff conduct."""

    REGULATION = "regulation", _("Regulations, policies and procedures")
    STAFF = "staff", _("Staff conduct")
    OTHER = "other", _("Other")


class State(models.TextChoices):
    RECEIVED = "received", _("Received, waiting to be classified")
    HANDLING = "handling", _("Being handled")
    INFO_REQUESTED = "info_requested", _("Waiting for more information")
    REFUSED = "refused", _("Refused")
    ANSWERED = "answered", _("Answered, waiting for publication")
    PUBLISHED = "published", _("Answer published")


OPEN = frozenset({State.RECEIVED, State.HANDLING, State.INFO_REQUESTED})
ANSWERED = frozenset({State.ANSWERED, State.PUBLISHED})


class Petition(models.Model):
    """One petition (phản ánh, kiến nghị) sent to a unit."""

    code = models.CharField(_("petition code"), max_length=40, unique=True)
    lookup_key = models.CharField(_("lookup key"), max_length=12)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.FEEDBACK)
    title = models.CharField(_("title"), max_length=300)
    content = models.TextField(_("content"))
    procedure = models.ForeignKey("catalog.Procedure", verbose_name=_("procedure"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="petitions")
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="petitions")
    petitioner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("petitioner account"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="petitions")
    petitioner_name = models.CharField(_("petitioner name"), max_length=255)
    petitioner_email = models.EmailField(_("e-mail"), blank=True)
    petitioner_phone = models.CharField(_("phone"), max_length=20, blank=True)
    unit = models.ForeignKey("organization.Unit", verbose_name=_("handling unit"), on_delete=models.PROTECT,
                             related_name="petitions")
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned officer"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="assigned_petitions")
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.RECEIVED)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    sent_at = models.DateTimeField(_("sent at"))
    # When the deadlines count from: sent_at, or the latest transfer to another unit (index-766.md 5.2).
    clock_start_at = models.DateTimeField(_("deadlines count from"))
    transfers = models.PositiveSmallIntegerField(_("transfers"), default=0)
    classified_at = models.DateTimeField(_("classified at"), null=True, blank=True)
    refuse_due_at = models.DateTimeField(_("refusal due"))
    info_due_at = models.DateTimeField(_("information request due"))
    answer_due_at = models.DateTimeField(_("answer due"))
    publish_due_at = models.DateTimeField(_("publication due"), null=True, blank=True)
    refused_at = models.DateTimeField(_("refused at"), null=True, blank=True)
    refused_on_time = models.BooleanField(_("refused on time"), null=True, blank=True)
    info_requested_at = models.DateTimeField(_("first information request at"), null=True, blank=True)
    info_on_time = models.BooleanField(_("information requested on time"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_on_time = models.BooleanField(_("answered on time"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_on_time = models.BooleanField(_("published on time"), null=True, blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    info_request = models.TextField(_("information requested"), blank=True)
    answer = models.TextField(_("answer"), blank=True)
    satisfied = models.BooleanField(_("satisfied with the answer"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        indexes = [
            models.Index(fields=["unit", "state", "id"]),
            models.Index(fields=["assigned_to", "state"]),
            models.Index(fields=["petitioner", "id"]),
            models.Index(fields=["state", "published_at"]),
            models.Index(fields=["sent_at"]),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    @property
    def late(self) -> bool:
        """Any stage with a deadline missed."""
        return False in (self.refused_on_time, self.info_on_time, self.answered_on_time, self.published_on_time)


class PetitionEvent(models.Model):
    """One action on a petition. Append-only: never edited, never deleted."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(_("action"), max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_name = models.CharField(_("by"), max_length=255, blank=True)
    unit = models.ForeignKey("organization.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))
    from_state = models.CharField(max_length=20, blank=True, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("petition event")
        verbose_name_plural = _("petition history")
        ordering = ["petition", "seq"]
        constraints = [models.UniqueConstraint(fields=["petition", "seq"], name="unique_petition_event_seq")]

    def __str__(self) -> str:
        return f"{self.petition_id}#{self.seq} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise Conflict(_("Petition history is append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise Conflict(_("Petition history is append-only."))
