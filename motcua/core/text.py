"""Text helpers shared by search and imports."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case `text` and strip Vietnamese diacritics, so "Đăng ký" and "dang ky" compare equal.

    NFD splits a letter from its combining marks, which are dropped; đ/Đ is a letter of its own (no decomposition) and
    is mapped to d by hand.
    """
    return _SPACES.sub(" ", without_diacritics(text)).strip().lower()


def without_diacritics(text: str) -> str:
    """`text` without Vietnamese diacritics, case kept ("Hồ sơ Đã" -> "Ho so Da"): for SMS in plain ASCII."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_terms(query: str) -> list[str]:
    """The folded words of a search query, in order, without duplicates."""
    seen: dict[str, None] = {}
    for word in fold(query).split(" "):
        if word:
            seen.setdefault(word, None)
    return list(seen)
