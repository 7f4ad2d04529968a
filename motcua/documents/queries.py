"""Reads of stored files and of the applicants' electronic data warehouse that the API, pages and other apps use."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from motcua.core import clock

from .digitization import DIGITIZABLE_TYPES
from .models import (
    Digitization,
    DigitizationState,
    DocumentAccess,
    ResumableUpload,
    StoredFile,
    WarehouseDocument,
    WarehouseSource,
    WarehouseState,
)

if TYPE_CHECKING:
    from motcua.identity.models import User


def _as_uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


class FilesById(dict):
    """{UUID: StoredFile}; lookups (`[]`, `get`, `in`) also take the id as text, any case, so callers holding ids
    from a request body need not convert them."""

    def __getitem__(self, key: Any) -> StoredFile:
        return super().__getitem__(_as_uuid(key))

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(_as_uuid(key), default)

    def __contains__(self, key: object) -> bool:
        return super().__contains__(_as_uuid(key))


def file_for(user: User, file_id: Any) -> StoredFile | None:
    """The file with this id if `user` uploaded it, else None (also for an id that is not a UUID), so "not yours" and
    "does not exist" look the same.

    This is the applicant's view only. Staff access (officers of the units handling a dossier the file is attached to)
    comes later, as its own query that checks the dossier and the officer's role and unit subtree: do not widen this
    one.
    """
    key = _as_uuid(file_id)
    if key is None or user is None or not user.is_authenticated:
        return None
    return StoredFile.objects.filter(pk=key, uploaded_by=user).first()


def files_by_ids(user: User, ids: Iterable[Any]) -> FilesById:
    """The files among `ids` that `user` uploaded, by id; ids that are not UUIDs, unknown or not theirs are left out."""
    keys = {key for key in (_as_uuid(i) for i in ids) if key is not None}
    if not keys or user is None or not user.is_authenticated:
        return FilesById()
    return FilesById((f.pk, f) for f in StoredFile.objects.filter(pk__in=keys, uploaded_by=user))


def upload_for(user: User, upload_id: Any) -> ResumableUpload | None:
    """The resumable upload with this id if `user` made it (expired or not), else None, like file_for."""
    key = _as_uuid(upload_id)
    if key is None or user is None or not user.is_authenticated:
        return None
    return ResumableUpload.objects.filter(pk=key, owner=user).select_related("file").first()


def digitizations_of(file_ids: Iterable[Any]) -> dict[uuid.UUID, Digitization]:
    """The digitization records of these files, by file id (files never queued are absent)."""
    keys = {key for key in (_as_uuid(i) for i in file_ids) if key is not None}
    if not keys:
        return {}
    return {d.file_id: d for d in Digitization.objects.filter(file_id__in=keys)}


def digitization_info(digitization: Digitization | None) -> dict[str, Any] | None:
    """What the API and pages show of a file's digitization (None: the file is not digitized, e.g. not a scan)."""
    if digitization is None:
        return None
    waiting = digitization.state == DigitizationState.QUEUED and digitization.attempts > 0
    return {
        "state": digitization.state, "state_label": str(DigitizationState(digitization.state).label),
        "attempts": digitization.attempts, "pages": digitization.pages, "reason": digitization.reason,
        "archive": digitization.archive_id, "thumbnail": digitization.thumbnail_id, "pdfa": digitization.pdfa,
        "queued_at": digitization.queued_at, "finished_at": digitization.finished_at,
        "retry_at": digitization.next_attempt_at if waiting else None,
    }


def derived_file(stored: StoredFile, kind: str) -> StoredFile | None:
    """The archive copy (`kind` "archive") or thumbnail ("thumbnail") of a digitized file, when it is done."""
    digitization = (Digitization.objects.select_related("archive", "thumbnail")
                    .filter(file=stored, state=DigitizationState.DONE).first())
    if digitization is None:
        return None
    return digitization.archive if kind == "archive" else digitization.thumbnail


# --- digitized: one definition ------------------------------------------------------------------------------------

def digitized_filter(path: str = "") -> Q:
    """The files (reached through `path`, e.g. "file__" from a row pointing at a StoredFile) that count as digitized:
    their digitization is done, or they are born electronic (the signed PDF of an electronic result). Every report
    and page uses this one definition."""
    born_electronic = Exists(WarehouseDocument.objects.filter(file=OuterRef(f"{path}pk" if path else "pk"),
                                                              source=WarehouseSource.RESULT))
    return Q(**{f"{path}digitization__state": DigitizationState.DONE}) | Q(born_electronic)


def digitizable_filter(path: str = "") -> Q:
    """The files OCR can read (others are stored, never digitized, and do not count for or against a dossier)."""
    return Q(**{f"{path}content_type__in": sorted(DIGITIZABLE_TYPES)})


def is_digitized(stored: StoredFile) -> bool:
    return StoredFile.objects.filter(pk=stored.pk).filter(digitized_filter()).exists()


# --- the warehouse ------------------------------------------------------------------------------------------------

def still_valid(documents: QuerySet[WarehouseDocument], day: Any = None) -> QuerySet[WarehouseDocument]:
    """Documents usable on `day` (default: today): neither cancelled nor replaced, and not past their validity."""
    day = day or clock.today()
    return documents.filter(state=WarehouseState.VALID).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))


def warehouse_of(user: User) -> QuerySet[WarehouseDocument]:
    """The documents `user` owns (nobody else's: an applicant sees only their own warehouse), newest first, with a
    `digitized` annotation."""
    if user is None or not user.is_authenticated:
        return WarehouseDocument.objects.none()
    return (WarehouseDocument.objects.filter(owner=user)
            .select_related("document_type", "file", "dossier", "result")
            .annotate(digitized=Exists(StoredFile.objects.filter(pk=OuterRef("file_id")).filter(digitized_filter())))
            .order_by("-created_at", "-pk"))


def warehouse_document(user: User, document_id: Any) -> WarehouseDocument | None:
    """`user`'s document with this id, else None (also for someone else's id: "not yours" looks like "unknown")."""
    key = _as_uuid(document_id)
    return warehouse_of(user).filter(pk=key).first() if key is not None else None


def accesses(document: WarehouseDocument, limit: int = 50) -> list[DocumentAccess]:
    return list(document.accesses.order_by("-at", "-id")[:limit])


def accesses_of(user: User, limit: int = 100) -> list[DocumentAccess]:
    """The latest accesses to `user`'s documents, newest first."""
    return list(DocumentAccess.objects.filter(document__owner=user).select_related("document")
                .order_by("-at", "-id")[:limit])


def offers(user: User, components: Iterable[Any]) -> dict[str, list[WarehouseDocument]]:
    """For each component (catalog rows with `code` and `accepted_document_types`) that accepts a document type,
    `user`'s still-valid documents of those types: {component code: [documents]}."""
    wanted = {c.code: list(c.accepted_document_types or []) for c in components if c.accepted_document_types}
    types = {t for codes in wanted.values() for t in codes}
    if not types:
        return {}
    rows = list(still_valid(warehouse_of(user)).filter(document_type__code__in=types))
    return {code: [d for d in rows if d.document_type and d.document_type.code in codes]
            for code, codes in wanted.items()}
