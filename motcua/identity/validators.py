"""Validation of identity numbers (domain/one-stop.md, "Citizen identity number")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

from motcua.core.errors import FieldError

# Province codes of the pre-2025 63-province table used in CCCD numbers (001-096; gaps are codes never assigned).
PROVINCE_CODES = frozenset({
    "001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019", "020", "022", "024", "025",
    "026", "027", "030", "031", "033", "034", "035", "036", "037", "038", "040", "042", "044", "045", "046", "048",
    "049", "051", "052", "054", "056", "058", "060", "062", "064", "066", "067", "068", "070", "072", "074", "075",
    "077", "079", "080", "082", "083", "084", "086", "087", "089", "091", "092", "093", "094", "095", "096",
})

_CCCD = re.compile(r"^\d{12}$")
_TAX_CODE = re.compile(r"^\d{10}(-\d{3})?$")


@dataclass(frozen=True)
class CitizenId:
    province_code: str
    male: bool
    birth_year: int


def parse_citizen_id(number: str) -> CitizenId | None:
    """Decode a 12-digit CCCD number, or None if its format or province code is wrong.

    Digit 4 encodes sex and century: even = male, odd = female; 0/1 for 1900-1999, 2/3 for 2000-2099, and so on.
    """
    if not _CCCD.match(number) or number[:3] not in PROVINCE_CODES:
        return None
    sex_century = int(number[3])
    century = 1900 + (sex_century // 2) * 100
    return CitizenId(province_code=number[:3], male=sex_century % 2 == 0, birth_year=century + int(number[4:6]))


def citizen_id_errors(
    number: str, *, birth_date: date | None = None, sex: str | None = None, field: str = "national_id"
) -> list[FieldError]:
    """The rules a CCCD number breaks: 12 digits, a known province code, consistent with birth date and sex."""
    if not _CCCD.match(number or ""):
        return [FieldError(field, "format", _("The citizen identity number must have exactly 12 digits."))]
    if number[:3] not in PROVINCE_CODES:
        return [FieldError(field, "province_code", _("The first 3 digits are not a known province code (001-096)."))]
    decoded = parse_citizen_id(number)
    assert decoded is not None
    errors = []
    if birth_date is not None and birth_date.year != decoded.birth_year:
        errors.append(FieldError(
            field, "birth_year", _("Digits 4-6 of the citizen identity number do not match the birth year."),
        ))
    if sex in ("male", "female") and (sex == "male") != decoded.male:
        errors.append(FieldError(field, "sex", _("Digit 4 of the citizen identity number does not match the sex.")))
    return errors


def tax_code_errors(code: str, field: str = "tax_code") -> list[FieldError]:
    """A tax code is 10 digits, or 10 digits, a hyphen and 3 digits for a branch."""
    if not _TAX_CODE.match(code or ""):
        return [FieldError(field, "format", _("The tax code must be 10 digits, or 10 digits-3 digits for a branch."))]
    return []
