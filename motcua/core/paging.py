"""Keyset pagination over a queryset, newest (highest id) first: bounded reads whatever the table's size."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet


def keyset_page(rows: QuerySet[Any], before: str, size: int) -> tuple[list[Any], str]:
    """Up to `size` rows with an id below `before` (when it is a number), and the cursor of the next page ("" when
    this is the last)."""
    if before.isdigit():
        rows = rows.filter(pk__lt=int(before))
    page = list(rows.order_by("-pk")[: size + 1])
    more = len(page) > size
    page = page[:size]
    return page, (str(page[-1].pk) if more and page else "")
