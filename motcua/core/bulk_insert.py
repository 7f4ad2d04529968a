"""Bulk writes of many new rows without model instances: history imports and the index counters they feed.

`insert_rows(model, rows)` converts each column the way the field would (datetimes to the database's form, JSON to
text) and writes the rows with `COPY ... FROM STDIN` on PostgreSQL (psycopg 3) or one `executemany` on SQLite. It
skips the ORM's per-object work (model instances, the compiler preparing every value), which was most of an import's
time. No signals, no `save()`, no defaults: each row gives every column it writes, as the field's attname.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import connection

_SQLITE_BATCH = 5000


def _sqlite_datetime(value: datetime) -> str:
    """Naive UTC text, as Django's SQLite adapter stores an aware datetime (without its overhead)."""
    return str(value.astimezone(UTC).replace(tzinfo=None))


def _json_text(value: Any) -> str:
    return "{}" if value == {} else ("[]" if value == [] else json.dumps(value))


def _converters(fields: list[Any]) -> list[Callable[[Any], Any] | None]:
    ops = connection.ops
    sqlite = connection.vendor == "sqlite"
    out: list[Callable[[Any], Any] | None] = []
    for f in fields:
        kind = f.get_internal_type()
        if kind == "DateTimeField":
            out.append(_sqlite_datetime if sqlite else None)  # psycopg sends aware datetimes as they are
        elif kind == "DateField":
            out.append(ops.adapt_datefield_value if sqlite else None)
        elif kind == "JSONField":
            out.append(_json_text if sqlite else (lambda value, f=f: ops.adapt_json_value(value, f.encoder)))
        else:
            out.append(None)
    return out


def insert_rows(model: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT `rows` (attname -> Python value, the same keys in every row) into `model`'s table."""
    if not rows:
        return
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    names = list(rows[0])
    fields = [by_attname[name] for name in names]
    columns = []
    for name, convert in zip(names, _converters(fields), strict=True):
        column = [row[name] for row in rows]
        if convert is not None:
            column = [None if value is None else convert(value) for value in column]
        columns.append(column)
    values = list(zip(*columns, strict=True))
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    quoted = ", ".join(ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:  # psycopg 3
                for row in values:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608 - ours
        for start in range(0, len(values), _SQLITE_BATCH):
            cursor.executemany(sql, values[start:start + _SQLITE_BATCH])
