"""Reads of results: who may see which."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from motcua.dossiers.queries import visible_to
from motcua.identity.models import User

from .models import Result


def visible_results(user: User) -> QuerySet[Result]:
    """The holder sees their results (and those of dossiers they submitted); officers those of dossiers they see."""
    rows = Result.objects.select_related("dossier", "issuer", "file", "replaces", "replaced_by")
    if user.is_staff_member:
        return rows.filter(dossier__in=visible_to(user).values("pk"))
    return rows.filter(Q(holder=user) | Q(dossier__applicant=user) | Q(dossier__submitted_by=user))


def get_visible_result(user: User, code: str) -> Result | None:
    return visible_results(user).filter(code=code).first()


def by_code(code: str) -> Result | None:
    return Result.objects.select_related("dossier", "issuer", "file", "replaces", "replaced_by").filter(
        code=code).first()
