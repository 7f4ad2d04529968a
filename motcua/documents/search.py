"""Full-text search in the text of digitized files, ignoring diacritics and case: one interface, two engines.

- SQLite (the embedded default): an FTS5 table `documents_search` (file id, the text folded by `core.text.fold`:
  lower case, no diacritics, đ → d), filled by `index` when a digitization is done.
- PostgreSQL (production): a GIN index on `motcua_search_vector(text)` of `documents_digitization` — `to_tsvector`
  with the `simple` configuration (Vietnamese has no stemming) over `unaccent(text)` (the first 1,000,000 characters,
  so no document can exceed the limits of a tsvector); the index follows the column, `index` has nothing to do.

The migration `0004_search` creates the table, or the extension, function and index, by `connection.vendor`.
A query matches a file when the file's text holds every word of the query (in any order, anywhere in the file).
"""

from __future__ import annotations

import re
import uuid

from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import FieldError, ValidationFailed
from motcua.core.text import fold

from .models import Digitization, DigitizationState

FTS_TABLE = "documents_search"
MAX_TERMS = 20
_WORD = re.compile(r"\w+")


def terms(query: str) -> list[str]:
    """The folded words of `query`, in order, without duplicates, at most MAX_TERMS."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(fold(query or "").replace("_", " ")):
        seen.setdefault(word, None)
    return list(seen)[:MAX_TERMS]


def _is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def _key(file_id: uuid.UUID | str) -> str:
    """A file id as the database stores it (SQLite: 32 hex digits; PostgreSQL: the uuid)."""
    value = file_id if isinstance(file_id, uuid.UUID) else uuid.UUID(str(file_id))
    return value.hex if _is_sqlite() else str(value)


def index(file_id: uuid.UUID | str, text: str) -> None:
    """Make the file's text searchable (replacing what was indexed for it), in the caller's transaction."""
    if not _is_sqlite():
        return  # the expression index on documents_digitization.text follows the row
    key = _key(file_id)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE file_id = %s", [key])
        if text.strip():
            cursor.execute(f"INSERT INTO {FTS_TABLE} (file_id, body) VALUES (%s, %s)", [key, fold(text)])


def remove(file_id: uuid.UUID | str) -> None:
    """Forget the file's text (SQLite; on PostgreSQL the row's own text is what is searched)."""
    index(file_id, "")


def reindex() -> int:
    """Rebuild the SQLite table from every done digitization (after a restore, or an import of rows); the count."""
    count = 0
    rows = Digitization.objects.filter(state=DigitizationState.DONE).values_list("file_id", "text")
    if _is_sqlite():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")
    for file_id, text in rows.iterator(chunk_size=200):
        index(file_id, text)
        count += 1
    return count


def file_ids_matching(query: str, field: str = "text") -> RawSQL:
    """A subquery of the ids of the files whose text holds every word of `query`, for `<file id field>__in=`.

    Raises ValidationFailed naming `field` (rule `terms`) when the query has no word to look for."""
    words = terms(query)
    if not words:
        raise ValidationFailed(_("The request is not valid."), [
            FieldError(field, "terms", _("Give at least one word to look for in the documents.")),
        ])
    if _is_sqlite():
        match = " ".join(f'"{word}"' for word in words)  # words are \w+ only: nothing to escape; space means AND
        return RawSQL(f"SELECT file_id FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match])
    return RawSQL("SELECT file_id FROM documents_digitization WHERE state = 'done' AND "
                  "motcua_search_vector(text) @@ plainto_tsquery('simple'::regconfig, %s)", [" ".join(words)])
