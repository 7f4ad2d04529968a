"""The scorecard as a table for people: CSV and XLSX exports (the same rows as the dashboard)."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

COLUMNS = ("group", "indicator", "name", "numerator", "denominator", "rate", "points", "maximum", "note")


def header() -> list[str]:
    return [_("Group"), _("Indicator"), _("Name"), _("Numerator"), _("Denominator"), _("Rate (%)"), _("Points"),
            _("Maximum"), _("Note")]


def rows(card: dict[str, Any]) -> list[list[Any]]:
    out = []
    for group in card["groups"]:
        for item in group["indicators"]:
            rate = round(item["rate"], 2) if item["rate"] is not None else _("no data") if not item["has_data"] else ""
            points = round(item["points"], 4) if item["points"] is not None else _("no data")
            out.append([group["name"], item["id"], item["name"], item["numerator"], item["denominator"], rate, points,
                        item["maximum"], item["note"]])
    total = card["total"]["points"]
    out.append([_("Total"), "", "", "", "", "", round(total, 4) if total is not None else _("no data"), 100, ""])
    return out


def title(card: dict[str, Any]) -> str:
    return f"{card['unit']['name']} ({card['unit']['code']}) — {card['period']['label']}"


def as_csv(card: dict[str, Any]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([title(card)])
    writer.writerow(header())
    writer.writerows(rows(card))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # a BOM so spreadsheet programs read UTF-8


def as_xlsx(card: dict[str, Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "766"
    sheet.append([title(card)])
    sheet["A1"].font = Font(bold=True)
    sheet.append(header())
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows(card):
        sheet.append(row)
    for column, width in zip("ABCDEFGHI", (18, 9, 60, 12, 12, 10, 10, 9, 40), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
