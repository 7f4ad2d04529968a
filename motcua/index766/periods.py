"""Periods of the index: calendar months, quarters and years in Vietnam time, both ends inclusive (index-766 §1.2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, cached_property
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from motcua.core.errors import FieldError, ValidationFailed

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None = None
    month: int | None = None

    @cached_property
    def key(self) -> str:
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        if self.quarter:
            return f"{self.year:04d}Q{self.quarter}"
        return f"{self.year:04d}"

    @property
    def first_month(self) -> tuple[int, int]:
        if self.month:
            return self.year, self.month
        if self.quarter:
            return self.year, 3 * self.quarter - 2
        return self.year, 1

    @property
    def last_month(self) -> tuple[int, int]:
        if self.month:
            return self.year, self.month
        if self.quarter:
            return self.year, 3 * self.quarter
        return self.year, 12

    @cached_property
    def start(self) -> datetime:
        year, month = self.first_month
        return datetime(year, month, 1, tzinfo=VN)

    @cached_property
    def end(self) -> datetime:
        """The last instant of the period (end of its last day, 23:59:59.999999 Vietnam time)."""
        year, month = self.last_month
        following = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=VN)
        return following - timedelta(microseconds=1)

    @cached_property
    def tail_key(self) -> str:
        """Tail rows starting on or before this period's first month count in it."""
        year, month = self.first_month
        return f"T{year:04d}-{month:02d}"

    def label(self) -> str:
        if self.month:
            return f"{self.month:02d}/{self.year}"
        if self.quarter:
            return f"Q{self.quarter}/{self.year}"
        return str(self.year)

    def months(self) -> list[Period]:
        (y1, m1), (_y2, m2) = self.first_month, self.last_month
        return [Period(y1, month=m) for m in range(m1, m2 + 1)]

    def running(self, now: datetime) -> bool:
        return self.start <= now <= self.end

    def cutoff(self, now: datetime) -> datetime:
        """Open items are judged at the period's end, or now for the running period (index-766 §1.2)."""
        return min(self.end, now)


def month_of(instant: datetime) -> tuple[int, int]:
    local = instant.astimezone(VN)
    return local.year, local.month


@cache
def periods_of_month(year: int, month: int) -> tuple[Period, ...]:
    """The month, its quarter and its year (the same objects each time: their bounds are computed once)."""
    return (Period(year, month=month), Period(year, quarter=(month - 1) // 3 + 1), Period(year))


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def month_range(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    out = []
    current = first
    while current <= last:
        out.append(current)
        current = next_month(*current)
    return out


def parse(year: int | None, quarter: int | None = None, month: int | None = None, *, today: date) -> Period:
    """The period asked for (default: the current year); 422 naming the field for a bad combination."""
    errors = []
    if year is None:
        year = today.year
    if not 2000 <= year <= 2100:
        errors.append(FieldError("year", "range", _("The year must be between 2000 and 2100.")))
    if quarter is not None and not 1 <= quarter <= 4:
        errors.append(FieldError("quarter", "range", _("The quarter must be 1 to 4.")))
    if month is not None and not 1 <= month <= 12:
        errors.append(FieldError("month", "range", _("The month must be 1 to 12.")))
    if quarter is not None and month is not None:
        errors.append(FieldError("month", "exclusive", _("Give a quarter or a month, not both.")))
    if errors:
        raise ValidationFailed(_("The period is not valid."), errors)
    return Period(year, quarter=quarter, month=month)
