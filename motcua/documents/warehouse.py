"""Writes of the applicants' electronic data warehouse (kho quản lý dữ liệu điện tử).

Documents land here from four sources: electronic results when they are issued (`file_result`), the components of a
dossier when it is accepted (`file_dossier_components`), bulk digitization of historical records (`file_document`
with source bulk) and, later, the national data store. A new dossier reuses a still-valid document instead of an
upload (`reusable` checks, `record_access` logs it). Cancelled or replaced results leave their document in place,
marked as no longer valid (`result_changed`). Every view, download and reuse is appended to the access log. Filing and
reuse are announced through the outbox (`warehouse.filed`, `warehouse.reused`).

The callers (results, dossiers) pass their rows in; this module does not import them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import DocumentType
from motcua.core import clock
from motcua.core.errors import FieldError
from motcua.integrations import outbox

from . import queries
from .models import (
    AccessPurpose,
    DocumentAccess,
    StoredFile,
    WarehouseDocument,
    WarehouseSource,
    WarehouseState,
)

if TYPE_CHECKING:
    from motcua.identity.models import User


def account_for(id_number: str) -> User | None:
    """The applicant account with this citizen identity number or tax code, if any."""
    from motcua.identity.models import User

    id_number = (id_number or "").strip()
    if not id_number:
        return None
    return User.objects.filter(Q(national_id=id_number) | Q(tax_code=id_number)).first()


@transaction.atomic
def file_document(*, owner: User | None, owner_id_number: str, file: StoredFile, source: str, title: str,
                  document_type: DocumentType | None = None, number: str = "", issuer: str = "",
                  issued_on: date | None = None, valid_until: date | None = None, **links: Any) -> WarehouseDocument:
    """Put a document in its owner's warehouse (an account, or an identity number without one yet); the outbox
    announces it (`warehouse.filed`) to whoever counts documents (the index, the national store sync)."""
    document = WarehouseDocument.objects.create(
        owner=owner, owner_id_number=owner_id_number or (_id_number(owner) if owner else ""), file=file,
        source=source, title=title[:500], document_type=document_type, number=number[:100], issuer=issuer[:255],
        issued_on=issued_on, valid_until=valid_until, created_at=clock.now(), **links,
    )
    outbox.emit("warehouse.filed", str(document.pk), {
        "id": str(document.pk), "owner_id": document.owner_id, "source": source,
        "document_type": document_type.code if document_type else None,
        "dossier_code": document.dossier.code if document.dossier_id else None,
        "valid_until": valid_until.isoformat() if valid_until else None})
    return document


def _id_number(user: User) -> str:
    return user.national_id or user.tax_code or ""


def _document_type(code: str) -> DocumentType | None:
    return DocumentType.objects.filter(code=code).first() if code else None


# --- results ------------------------------------------------------------------------------------------------------

def file_result(result: Any) -> WarehouseDocument:
    """The issued electronic result in its holder's warehouse, valid as long as the result (in the issuing
    transaction: a result never exists without its warehouse document)."""
    dossier = result.dossier
    title = result.title
    return file_document(
        owner=result.holder, owner_id_number=result.holder_id_number, file=result.file,
        source=WarehouseSource.RESULT, title=title,
        document_type=_document_type(dossier.version.result_document_type), number=result.code,
        issuer=result.issuer.name_vi, issued_on=timezone.localtime(result.issued_at).date(),
        valid_until=result.valid_until, dossier=dossier, result=result,
    )


def result_changed(result: Any, state: str, at: datetime) -> None:
    """A cancelled or replaced result: its warehouse document is no longer valid (it stays, for lookup)."""
    WarehouseDocument.objects.filter(result=result).update(
        state=WarehouseState.CANCELLED if state == "cancelled" else WarehouseState.REPLACED, changed_at=at)


# --- dossiers -----------------------------------------------------------------------------------------------------

def file_dossier_components(dossier: Any, now: datetime) -> list[WarehouseDocument]:
    """At acceptance: each file given for a component that takes exactly one document type goes into the
    applicant's warehouse under that type (reused documents are there already; a component taking several types
    leaves the type unknown, so it is not filed). Filing twice is a no-op."""
    components = {c.code: c for c in dossier.version.components.all() if len(c.accepted_document_types) == 1}
    if not components:
        return []
    types = {t.code: t for t in DocumentType.objects.filter(
        code__in={c.accepted_document_types[0] for c in components.values()})}
    owner = dossier.applicant
    filed = []
    for item in dossier.files.filter(component_code__in=components, reused_from__isnull=True).select_related("file"):
        component = components[item.component_code]
        document_type = types.get(component.accepted_document_types[0])
        if document_type is None or WarehouseDocument.objects.filter(
                source=WarehouseSource.DOSSIER_COMPONENT, dossier=dossier, component_code=item.component_code,
                file=item.file).exists():
            continue
        filed.append(file_document(
            owner=owner, owner_id_number=dossier.owner_id_number, file=item.file,
            source=WarehouseSource.DOSSIER_COMPONENT, title=document_type.name_vi, document_type=document_type,
            issuer=dossier.receiving_unit.name_vi, issued_on=None, dossier=dossier,
            component_code=item.component_code,
        ))
    return filed


def reusable(user: User, ids: Iterable[Any], components: dict[str, list[str]], given: list[tuple[str, str, Any]],
             errors: list[FieldError]) -> dict[str, WarehouseDocument]:
    """Check the warehouse documents a submission reuses: each must be `user`'s own, still valid, and of a type its
    component accepts. `given` is (error path, component code, id); problems are added to `errors`, naming the
    field. Returns the good ones by the id as given."""
    keys = [key for key in (queries._as_uuid(i) for i in ids) if key is not None]
    mine = {str(d.pk): d for d in queries.warehouse_of(user).filter(pk__in=keys)}
    today = clock.today()
    good: dict[str, WarehouseDocument] = {}
    for where, code, raw in given:
        key = str(queries._as_uuid(raw) or raw)
        document = mine.get(key)
        if document is None:
            errors.append(FieldError(where, "exists", _("No document of your warehouse has this id.")))
        elif not document.is_valid_on(today):
            errors.append(FieldError(where, "still_valid", _(
                "This document of your warehouse is no longer valid (expired, cancelled or replaced).")))
        elif not document.document_type or document.document_type.code not in components.get(code, []):
            errors.append(FieldError(where, "document_type", _(
                "This component does not accept this type of document.")))
        else:
            good[str(raw)] = document
    return good


# --- the access log -----------------------------------------------------------------------------------------------

@transaction.atomic
def record_access(document: WarehouseDocument, user: User | None, purpose: str, dossier_code: str = ""
                  ) -> DocumentAccess:
    """Append who looked at, downloaded or reused `document`, and when."""
    if purpose not in AccessPurpose.values:
        raise ValueError(f"unknown access purpose {purpose!r}")
    name = user.display_name if user is not None else "Hệ thống / System"
    access = DocumentAccess.objects.create(document=document, user=user, user_name=name, at=clock.now(),
                                           purpose=purpose, dossier_code=dossier_code)
    if purpose == AccessPurpose.REUSE:  # the index counts reuse (information provided once)
        outbox.emit("warehouse.reused", str(document.pk), {
            "id": str(document.pk), "dossier_code": dossier_code, "source": document.source,
            "document_type": document.document_type.code if document.document_type_id else None})
    return access
