"""Errors that services raise and every interface (API, pages, commands) reports the same way.

A message is a lazy translation string: it is rendered in Vietnamese and English so an API client gets both, and a
page shows the one of the active language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.functional import Promise, lazy


def both_languages(message: str | Promise) -> dict[str, str]:
    """{"vi": ..., "en": ...} of a (lazy) translatable message."""
    out = {}
    for lang in ("vi", "en"):
        with translation.override(lang):
            out[lang] = str(message)
    return out


def active_language() -> str:
    """"vi" or "en": the request's language, Vietnamese when none or another is active."""
    lang = (translation.get_language() or "vi")[:2]
    return lang if lang in ("vi", "en") else "vi"


def _suffixed(texts: dict[str, str]) -> dict[str, str]:
    return {f"message_{lang}": text for lang, text in texts.items()}


@dataclass(frozen=True)
class FieldError:
    """One broken rule: `field` is a dotted path into the input, `rule` a stable machine name."""

    field: str
    rule: str
    message: str | Promise

    def as_dict(self) -> dict[str, Any]:
        texts = both_languages(self.message)
        return {"field": self.field, "rule": self.rule, "message": texts[active_language()], **_suffixed(texts)}


class DomainError(Exception):
    """A request that breaks a rule. `status` is the HTTP status an interface answers with."""

    status = 400
    code = "invalid"

    def __init__(self, message: str | Promise, errors: list[FieldError] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.errors = list(errors or [])
        self.extra = dict(extra or {})  # more machine-readable facts, e.g. {"allowed_actions": [...]}

    def as_dict(self) -> dict[str, Any]:
        texts = both_languages(self.message)
        return {
            "error": self.code,
            "message": texts[active_language()],
            **_suffixed(texts),
            "errors": [error.as_dict() for error in self.errors],
            **self.extra,
        }


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RateLimited(DomainError):
    """Too many requests from one client address in a window (see core.ratelimit.enforce)."""

    status = 429
    code = "rate_limited"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


def interpolated(message: Promise | str, **params: Any) -> Promise:
    """`message % params` rendered in the language active when it is shown (so both_languages gets both)."""

    def render() -> str:
        return str(message) % {key: str(value() if callable(value) else value) for key, value in params.items()}

    return lazy(render, str)()
