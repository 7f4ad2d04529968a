"""Schemas shared by every router: the error body, and turning ninja's validation errors into FieldErrors."""

from __future__ import annotations

from typing import Any

from ninja import Schema

from .errors import FieldError


class FieldProblem(Schema):
    field: str
    rule: str
    message: str
    message_vi: str
    message_en: str


class ErrorOut(Schema):
    error: str
    message: str
    message_vi: str
    message_en: str
    errors: list[FieldProblem]
    allowed_actions: list[str] | None = None


def problems_from_ninja(errors: list[dict[str, Any]]) -> list[FieldError]:
    """ninja/pydantic errors (loc like ("query", "limit")) as FieldErrors naming the field and the rule."""
    problems = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in {"query", "path", "body", "header", "form", "file"}:
            loc = loc[1:]
        if loc and loc[0] in {"payload", "data", "filters"} and len(loc) > 1:
            loc = loc[1:]
        problems.append(FieldError(".".join(loc) or "body", error.get("type", "invalid"), error.get("msg", "")))
    return problems


# The error answers every operation may give, for the OpenAPI spec.
ERRORS = {400: ErrorOut, 422: ErrorOut}
