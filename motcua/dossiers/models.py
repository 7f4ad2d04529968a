from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import Conflict
from motcua.identity.models import IdentityMethod


class Status(models.IntegerChoices):
    """The national sync vocabulary (domain/one-stop.md)."""

    NEW = 1, _("Newly registered")
    ACCEPTED = 2, _("Accepted")
    NOT_ACCEPTED = 3, _("Not accepted")
    PROCESSING = 4, _("Being processed")
    SUPPLEMENT = 5, _("Supplement requested")
    PAYMENT = 6, _("Financial obligation requested")
    WITHDRAWN = 7, _("Withdrawal requested by the applicant")
    STOPPED = 8, _("Processing stopped")
    PROCESSED = 9, _("Processed (decision made)")
    RETURNED = 10, _("Result returned")


# Statuses in which the dossier is still moving, and those in which the clock is paused (waiting for the applicant).
ACTIVE = frozenset({Status.NEW, Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT, Status.PAYMENT})
PAUSED = frozenset({Status.SUPPLEMENT, Status.PAYMENT})
FINISHED = frozenset({Status.NOT_ACCEPTED, Status.WITHDRAWN, Status.STOPPED, Status.PROCESSED, Status.RETURNED})


class Channel(models.IntegerChoices):
    IN_PERSON = 1, _("In person")
    ONLINE = 2, _("Online")
    POST = 3, _("Public postal service")


class Outcome(models.TextChoices):
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")
    REFUSED = "refused", _("Not accepted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    STOPPED = "stopped", _("Stopped")


class Dossier(models.Model):
    """One application by one applicant for one procedure version (hồ sơ)."""

    code = models.CharField(_("dossier code"), max_length=40, unique=True)
    lookup_key = models.CharField(_("lookup key"), max_length=12)
    procedure = models.ForeignKey("catalog.Procedure", verbose_name=_("procedure"), on_delete=models.PROTECT,
                                  related_name="dossiers")
    version = models.ForeignKey("catalog.ProcedureVersion", verbose_name=_("procedure version"),
                                on_delete=models.PROTECT, related_name="dossiers")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applicant account"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="dossiers",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="submitted_dossiers",
    )
    owner = models.JSONField(_("owner"), default=dict, help_text=_("Name, identity number, address and contact."))
    owner_id_number = models.CharField(_("owner identity number"), max_length=20, blank=True, db_index=True)
    owner_name = models.CharField(_("owner name"), max_length=255, blank=True)
    channel = models.PositiveSmallIntegerField(_("channel"), choices=Channel.choices, default=Channel.ONLINE)
    # Whether the applicant's identity was verified at submission, how (identity.IdentityMethod) and when.
    identity_verified = models.BooleanField(_("identity verified"), default=False)
    identity_method = models.CharField(_("identity verified by"), max_length=10, choices=IdentityMethod.choices,
                                       default=IdentityMethod.NONE)
    identity_verified_at = models.DateTimeField(_("identity verified at"), null=True, blank=True)
    receiving_unit = models.ForeignKey("organization.Unit", verbose_name=_("receiving unit"),
                                       on_delete=models.PROTECT, related_name="received_dossiers")
    current_unit = models.ForeignKey("organization.Unit", verbose_name=_("current unit"), on_delete=models.PROTECT,
                                     related_name="current_dossiers")
    status = models.PositiveSmallIntegerField(_("status"), choices=Status.choices, default=Status.NEW)
    current_step = models.CharField(_("current step"), max_length=50, blank=True)
    # The role that acts in the current step (from the process definition), for the "mine" inbox.
    current_role = models.CharField(_("current role"), max_length=20, blank=True)
    form_data = models.JSONField(_("form data"), default=dict)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    submitted_at = models.DateTimeField(_("submitted at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    step_due_at = models.DateTimeField(_("step due at"), null=True, blank=True)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    resume_status = models.PositiveSmallIntegerField(null=True, blank=True, choices=Status.choices)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    late = models.BooleanField(_("late"), null=True, blank=True)
    supplement_requests = models.PositiveSmallIntegerField(_("supplement requests"), default=0)
    apologies = models.PositiveSmallIntegerField(_("apologies"), default=0)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        constraints = [
            models.UniqueConstraint(fields=["submitted_by", "idempotency_key"], name="unique_idempotency_key",
                                    condition=models.Q(idempotency_key__isnull=False)),
        ]
        indexes = [
            models.Index(fields=["current_unit", "status", "id"]),
            models.Index(fields=["current_unit", "current_role", "id"]),
            models.Index(fields=["applicant", "id"]),
            models.Index(fields=["status", "due_at"]),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_paused(self) -> bool:
        return self.status in PAUSED


class DossierSequence(models.Model):
    """The last dossier number given by a receiving unit on a day (codes restart daily per unit)."""

    unit = models.ForeignKey("organization.Unit", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="unique_sequence_per_unit_day")]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.day}: {self.last}"


class DossierFile(models.Model):
    """A file given for a component in one revision of the dossier (earlier revisions are kept)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="files")
    component_code = models.CharField(_("component"), max_length=50)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    file = models.ForeignKey("documents.StoredFile", on_delete=models.PROTECT, related_name="+")
    # The warehouse document given instead of an upload (reuse: the applicant provides it once).
    reused_from = models.ForeignKey("documents.WarehouseDocument", verbose_name=_("reused from the warehouse"),
                                    null=True, blank=True, on_delete=models.PROTECT, related_name="reuses")
    # Scanned from paper later (bulk digitization of historical records), not given with the dossier.
    bulk_row = models.ForeignKey("dossiers.BulkRow", verbose_name=_("digitized by"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("dossier file")
        verbose_name_plural = _("dossier files")
        ordering = ["dossier", "revision", "component_code", "id"]

    def __str__(self) -> str:
        return f"{self.dossier_id}/{self.component_code}"


class Event(models.Model):
    """One action on a dossier. Append-only: never edited, never deleted."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(_("action"), max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_name = models.CharField(_("by"), max_length=255, blank=True)
    actor_role = models.CharField(_("role"), max_length=20, blank=True)
    unit = models.ForeignKey("organization.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))
    from_status = models.PositiveSmallIntegerField(null=True, blank=True, choices=Status.choices)
    to_status = models.PositiveSmallIntegerField(choices=Status.choices)
    from_step = models.CharField(max_length=50, blank=True)
    to_step = models.CharField(max_length=50, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    public = models.BooleanField(default=True, help_text=_("Shown to the applicant and on the tracking page."))

    class Meta:
        verbose_name = _("dossier event")
        verbose_name_plural = _("dossier history")
        ordering = ["dossier", "seq"]
        constraints = [models.UniqueConstraint(fields=["dossier", "seq"], name="unique_event_seq")]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.seq} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise Conflict(_("Dossier history is append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise Conflict(_("Dossier history is append-only."))


class Pause(models.Model):
    """Time waiting for the applicant (supplement, financial obligation): not counted against the deadline."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="pauses")
    kind = models.CharField(max_length=20, choices=[("supplement", _("Supplement")), ("payment", _("Payment"))])
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dossier", "started_at"]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.kind} {self.started_at:%Y-%m-%d}"


class StepRecord(models.Model):
    """One pass of the dossier through a step of its process, with the step's own deadline."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(max_length=50)
    unit = models.ForeignKey("organization.Unit", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["dossier", "started_at", "id"]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.step}"


class Rating(models.Model):
    """The applicant's rating of the service, once the dossier is finished."""

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    not_satisfied = models.BooleanField(_("not satisfied"), default=False)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="score_1_to_5")]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.score}"


class DigitizedComponent(models.Model):
    """A component of a dossier marked digitized by the one-stop officer (thành phần hồ sơ đã số hóa): its paper
    pages were scanned at the desk (their files are the dossier's files of that component) or it was electronic."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="digitized_components")
    component_code = models.CharField(_("component"), max_length=50)
    digitized_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("digitized by"),
                                     on_delete=models.PROTECT, related_name="+")
    digitized_at = models.DateTimeField(_("digitized at"))

    class Meta:
        verbose_name = _("digitized component")
        verbose_name_plural = _("digitized components")
        ordering = ["dossier", "component_code"]
        constraints = [models.UniqueConstraint(fields=["dossier", "component_code"],
                                               name="unique_digitized_component")]

    def __str__(self) -> str:
        return f"{self.dossier_id}/{self.component_code}"


# --- bulk digitization of historical records ----------------------------------------------------------------------

class BulkBatch(models.Model):
    """One run of bulk digitization (số hóa hàng loạt): a folder or ZIP of scans and its CSV manifest. The manifest
    is kept here, so an interrupted batch resumes from its rows not yet done."""

    source = models.CharField(_("scans (folder or ZIP)"), max_length=1000)
    manifest_name = models.CharField(_("manifest"), max_length=255)
    manifest_sha256 = models.CharField(max_length=64, db_index=True)
    manifest = models.TextField(_("manifest (CSV)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT,
                                   related_name="+")
    unit = models.ForeignKey("organization.Unit", verbose_name=_("unit"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    created_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    problem = models.TextField(_("problem"), blank=True, help_text=_("Why the whole batch could not run."))

    class Meta:
        verbose_name = _("bulk digitization batch")
        verbose_name_plural = _("bulk digitization batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.manifest_name} ({self.rows_done}/{self.rows_total})"

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


class BulkRowStatus(models.TextChoices):
    IMPORTED = "imported", _("Imported")
    REJECTED = "rejected", _("Rejected")


class BulkRow(models.Model):
    """The outcome of one manifest row (its line in the CSV file): imported with its links, or rejected with the
    rules it broke. One per (batch, line): a resumed batch never does a row twice."""

    batch = models.ForeignKey(BulkBatch, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField(_("line"))
    status = models.CharField(_("status"), max_length=10, choices=BulkRowStatus.choices)
    file_name = models.CharField(_("file"), max_length=500, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    file = models.ForeignKey("documents.StoredFile", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    dossier = models.ForeignKey(Dossier, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    warehouse_document = models.ForeignKey("documents.WarehouseDocument", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("bulk digitization row")
        verbose_name_plural = _("bulk digitization rows")
        ordering = ["batch", "line"]
        constraints = [models.UniqueConstraint(fields=["batch", "line"], name="unique_bulk_row")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line} {self.status}"
