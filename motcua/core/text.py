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
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()


def search_terms(query: str) -> list[str]:
    """The folded words of a search query, in order, without duplicates."""
    seen: dict[str, None] = {}
    for word in fold(query).split(" "):
        if word:
            seen.setdefault(word, None)
    return list(seen)
