"""Working-time arithmetic: the one place that adds working days/hours and measures working time between instants.

Pure functions: no database and no clock. Callers pass timezone-aware instants; arithmetic happens in local wall time
of `Asia/Ho_Chi_Minh` (no daylight saving since 1975, so wall time is linear) and results are aware datetimes in
that zone.

The model
---------
*Working time* is the union, over working days, of the day's shifts, each a half-open interval
``[shift start, shift end)`` (default 07:30-11:30 and 13:30-17:00, i.e. 7.5 hours a day).

A *working day* (``WorkCalendar.is_working_day``) is Monday to Friday, minus Vietnam's public holidays (package
``holidays``, country ``VN``, observed days included), plus the Saturdays/Sundays the government swapped into working
days (the package's ``weekend_workdays``), plus the unit's ``extra_workdays``, minus the unit's ``extra_holidays``.
``extra_holidays`` wins over everything; ``extra_workdays`` wins over the weekend and public holidays.

Counting rules
--------------
* ``start_of_counting(received_at)``: a dossier received on a working day no later than the cut-off (default 15:00;
  exactly 15:00:00 still counts the same day) starts counting at once, clamped forward into working time (before
  07:30 -> 07:30, during lunch -> 13:30). Received after the cut-off, or on a non-working day: the first shift start
  of the next working day.
* ``add_working_time(start, d)`` / ``add_working_hours`` / ``add_working_days``: **the due instant is the earliest
  instant t such that the working time in [start, t) equals d.** ``start`` is first clamped forward into working time
  (no cut-off: that rule belongs to reception, apply ``start_of_counting`` yourself or use ``due_at``). Because the
  earliest instant is chosen, a due instant that falls on a boundary is a *shift end* (11:30, 17:00), never the start
  of the next shift.
* **N working days = N x (working hours per day) of working time** (fractions allowed: 0.5 day = 3h45 by default).
  Examples with the default shifts: from Monday 07:30, 1 working day ends Monday 17:00 (the end of the first working
  day), 2 working days end Tuesday 17:00; from Monday 08:00, 1 working day ends Tuesday 08:00 (the same clock time one
  working day later); from Monday 13:30, 1 working day ends Tuesday 11:30 (same working time as Tuesday 13:30, and
  the earliest such instant is the shift end).
* ``working_time_between(a, b, pauses)``: the working time inside [a, b) minus the working time inside the union of
  the pauses (clipped to [a, b)); every instant is counted at most once.
* Calendar units: ``days`` adds calendar days (same wall-clock time), ``months`` adds calendar months keeping the day
  of month, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb).
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_SHIFTS: tuple[tuple[time, time], ...] = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))
DEFAULT_CUTOFF = time(15, 0)
UNITS = ("working_days", "working_hours", "days", "months")

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
_MICROSECONDS_PER_HOUR = 3_600_000_000
# A calendar with no working day in ten years is a configuration error, not a reason to loop forever.
_MAX_SEARCH_DAYS = 3660

Number = Decimal | float | int


# --- public holidays (the `holidays` package), cached per year ------------------------------------------------------


@lru_cache(maxsize=256)
def _national_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(public holidays, weekend days swapped into working days) of `year` in Vietnam.

    A swap may cross a year boundary (in 2015 the day off 2 Jan was made up on Saturday 27 Dec 2014). holidays 0.109
    lists such cross-year swaps in every year's `weekend_workdays`; the neighbouring years are read as well so the
    answer does not depend on that detail.
    """
    days_off = frozenset(holidays.country_holidays("VN", years=year).keys())
    swapped: set[date] = set()
    for y in (year - 1, year, year + 1):
        cal = holidays.country_holidays("VN", years=y)
        swapped.update(d for d in getattr(cal, "weekend_workdays", ()) if d.year == year)
    return days_off, frozenset(swapped)


def is_public_holiday(day: date) -> bool:
    """A national public holiday (Tết, 30/4, 1/5, 2/9 and its adjacent day, observed days, announced swaps...)."""
    return day in _national_year(day.year)[0]


def is_swapped_workday(day: date) -> bool:
    """A Saturday or Sunday the government made a working day to bridge a holiday (e.g. Saturday 2026-08-22)."""
    return day in _national_year(day.year)[1]


# --- parsing helpers for settings ----------------------------------------------------------------------------------


def parse_time(text: str | time) -> time:
    """"15:00" -> time(15, 0). A `time` is returned as is. Raises ValueError on anything else."""
    if isinstance(text, time):
        return text
    try:
        hours, minutes = str(text).strip().split(":")
        return time(int(hours), int(minutes))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a time HH:MM: {text!r}") from exc


def parse_shifts(text: str | Iterable[tuple[time | str, time | str]]) -> tuple[tuple[time, time], ...]:
    """"07:30-11:30,13:30-17:00" (or pairs of times/strings) -> ((time(7, 30), time(11, 30)), ...)."""
    if isinstance(text, str):
        pairs: list[tuple[str, str]] = []
        for part in text.split(","):
            if part.strip():
                start, sep, end = part.partition("-")
                if not sep:
                    raise ValueError(f"not a shift HH:MM-HH:MM: {part!r}")
                pairs.append((start, end))
        return tuple((parse_time(start), parse_time(end)) for start, end in pairs)
    return tuple((parse_time(start), parse_time(end)) for start, end in text)


# --- the calendar ---------------------------------------------------------------------------------------------------


def _offset(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _local(instant: datetime) -> datetime:
    """The naive local wall time of an aware instant."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("working-time arithmetic needs timezone-aware datetimes")
    return instant.astimezone(LOCAL_TZ).replace(tzinfo=None)


def _aware(local: datetime) -> datetime:
    return local.replace(tzinfo=LOCAL_TZ)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _amount(value: Number) -> Decimal:
    """A time-limit amount as a Decimal; refuses negative, infinite and NaN values."""
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"a time limit must be a finite non-negative number, not {value!r}")
    return amount


def _to_timedelta(hours: Number) -> timedelta:
    """Hours (Decimal, float or int, >= 0) as a timedelta, exact to the microsecond (rounded half-even below it)."""
    return timedelta(microseconds=int((_amount(hours) * _MICROSECONDS_PER_HOUR).to_integral_value()))


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are worked and when. National holidays come from the `holidays` package; a unit adds its own.

    `extra_holidays`: local closures; they win over everything. `extra_workdays`: days worked although weekend (or
    public holiday), e.g. a Saturday worked to make up a bridge day. `shifts`: the day's working hours, sorted and
    disjoint. `cutoff`: a dossier received after it counts from the next working day.
    """

    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    shifts: tuple[tuple[time, time], ...] = DEFAULT_SHIFTS
    cutoff: time = DEFAULT_CUTOFF
    _offsets: tuple[tuple[timedelta, timedelta], ...] = field(init=False, repr=False, compare=False)
    _day_length: timedelta = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra_holidays", frozenset(self.extra_holidays))
        object.__setattr__(self, "extra_workdays", frozenset(self.extra_workdays))
        shifts = tuple((start, end) for start, end in self.shifts)
        if not shifts:
            raise ValueError("a work calendar needs at least one shift")
        previous_end: time | None = None
        for start, end in shifts:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("shift times are local wall times without a time zone")
            if not start < end:
                raise ValueError(f"a shift must end after it starts: {start}-{end}")
            if previous_end is not None and start < previous_end:
                raise ValueError("shifts must be sorted and must not overlap")
            previous_end = end
        object.__setattr__(self, "shifts", shifts)
        offsets = tuple((_offset(start), _offset(end)) for start, end in shifts)
        object.__setattr__(self, "_offsets", offsets)
        object.__setattr__(self, "_day_length", sum((end - start for start, end in offsets), _ZERO))

    # -- days --

    @property
    def hours_per_day(self) -> Decimal:
        """Working hours of one working day (7.5 with the default shifts)."""
        return Decimal(self._day_length // timedelta(microseconds=1)) / _MICROSECONDS_PER_HOUR

    @property
    def day_length(self) -> timedelta:
        """Working time of one working day."""
        return self._day_length

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_holidays:
            return False
        if day in self.extra_workdays:
            return True
        days_off, swapped = _national_year(day.year)
        if day.weekday() >= 5:
            return day in swapped
        return day not in days_off

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        for _ in range(_MAX_SEARCH_DAYS):
            day += _ONE_DAY
            if self.is_working_day(day):
                return day
        raise ValueError(f"no working day within {_MAX_SEARCH_DAYS} days after {day}")

    def first_shift_start(self, day: date) -> datetime:
        """The start of `day`'s first shift (aware, local)."""
        return _aware(_midnight(day) + self._offsets[0][0])

    # -- within one day (offsets from local midnight) --

    def _worked_before(self, offset: timedelta) -> timedelta:
        """Working time of a working day from midnight up to `offset`."""
        total = _ZERO
        for start, end in self._offsets:
            if offset <= start:
                break
            total += min(offset, end) - start
        return total

    def _offset_after(self, worked: timedelta) -> timedelta:
        """The earliest offset of a working day by which `worked` (0 < worked <= day length) has been worked."""
        for start, end in self._offsets:
            length = end - start
            if worked <= length:
                return start + worked
            worked -= length
        raise AssertionError("worked time beyond the day length")

    def _clamp(self, local: datetime) -> datetime:
        """`local` if it is inside working time, else the next shift start (naive local)."""
        day = local.date()
        if self.is_working_day(day):
            offset = local - _midnight(day)
            for start, end in self._offsets:
                if offset < end:
                    return local if offset >= start else _midnight(day) + start
        return _midnight(self.next_working_day(day)) + self._offsets[0][0]

    def _between(self, a: datetime, b: datetime) -> timedelta:
        """Working time in [a, b) for naive local datetimes."""
        if b <= a:
            return _ZERO
        day_a, day_b = a.date(), b.date()
        before_a = self._worked_before(a - _midnight(day_a))
        before_b = self._worked_before(b - _midnight(day_b))
        if day_a == day_b:
            return before_b - before_a if self.is_working_day(day_a) else _ZERO
        total = self._day_length - before_a if self.is_working_day(day_a) else _ZERO
        if self.is_working_day(day_b):
            total += before_b
        day = day_a + _ONE_DAY
        full_days = 0
        while day < day_b:
            full_days += self.is_working_day(day)
            day += _ONE_DAY
        return total + self._day_length * full_days

    # -- public arithmetic --

    def is_working_instant(self, instant: datetime) -> bool:
        """Whether `instant` lies inside working time (shift start included, shift end excluded)."""
        local = _local(instant)
        return self._clamp(local) == local

    def is_shift_end(self, instant: datetime) -> bool:
        """Whether `instant` is the end of a shift on a working day."""
        local = _local(instant)
        offset = local - _midnight(local.date())
        return self.is_working_day(local.date()) and any(offset == end for _start, end in self._offsets)

    def next_working_instant(self, instant: datetime) -> datetime:
        """`instant` clamped forward into working time: itself if inside, else the start of the next shift."""
        return _aware(self._clamp(_local(instant)))

    def start_of_counting(self, received_at: datetime) -> datetime:
        """The instant the clock starts for a dossier received at `received_at` (see the module's counting rules)."""
        local = _local(received_at)
        day = local.date()
        if self.is_working_day(day) and local.time() <= self.cutoff:
            return _aware(self._clamp(local))
        return self.first_shift_start(self.next_working_day(day))

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant t with working time in [start, t) == `duration` (start clamped into working time)."""
        if duration < _ZERO:
            raise ValueError("a time limit cannot be negative")
        local = self._clamp(_local(start))
        if duration == _ZERO:
            return _aware(local)
        day = local.date()
        target = self._worked_before(local - _midnight(day)) + duration
        while target > self._day_length:  # jump whole days; each step is one O(1) holiday lookup
            target -= self._day_length
            day = self.next_working_day(day)
        return _aware(_midnight(day) + self._offset_after(target))

    def add_working_hours(self, start: datetime, hours: Number) -> datetime:
        """`start` plus `hours` (may be fractional) of working time; 0 returns `start` clamped into working time."""
        return self.add_working_time(start, _to_timedelta(hours))

    def add_working_days(self, start: datetime, days: Number) -> datetime:
        """`start` plus `days` x (working hours per day) of working time (module docstring: N working days)."""
        return self.add_working_hours(start, _amount(days) * self.hours_per_day)

    def add_time_limit(self, start: datetime, value: Number, unit: str) -> datetime:
        """The catalog's time limit `value` `unit` (working_days, working_hours, days, months) counted from `start`."""
        if unit == "working_days":
            return self.add_working_days(start, value)
        if unit == "working_hours":
            return self.add_working_hours(start, value)
        if unit in ("days", "months"):
            return add_calendar(start, value, unit)
        raise ValueError(f"unknown time-limit unit {unit!r}; expected one of {', '.join(UNITS)}")

    def due_at(self, received_at: datetime, value: Number, unit: str) -> datetime:
        """Due instant of a dossier received at `received_at`: the time limit counted from `start_of_counting`."""
        return self.add_time_limit(self.start_of_counting(received_at), value, unit)

    def working_time_between(
        self, a: datetime, b: datetime, pauses: Iterable[tuple[datetime, datetime]] = ()
    ) -> timedelta:
        """Working time in [a, b) minus the working time inside the union of `pauses` (each instant counted once)."""
        start, end = _local(a), _local(b)
        if end <= start:
            return _ZERO
        total = self._between(start, end)
        for pause_start, pause_end in _merge(pauses, start, end):
            total -= self._between(pause_start, pause_end)
        return total

    def working_days_between(
        self, a: datetime, b: datetime, pauses: Iterable[tuple[datetime, datetime]] = ()
    ) -> Decimal:
        """`working_time_between` expressed in working days (working time / working time per day)."""
        worked = self.working_time_between(a, b, pauses)
        return Decimal(worked // timedelta(microseconds=1)) / Decimal(self._day_length // timedelta(microseconds=1))


def _merge(
    pauses: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The union of `pauses` clipped to [start, end), as sorted disjoint naive local intervals."""
    clipped = sorted(
        (max(_local(p0), start), min(_local(p1), end)) for p0, p1 in pauses
    )
    merged: list[tuple[datetime, datetime]] = []
    for p0, p1 in clipped:
        if p1 <= p0:
            continue
        if merged and p0 <= merged[-1][1]:
            if p1 > merged[-1][1]:
                merged[-1] = (merged[-1][0], p1)
        else:
            merged.append((p0, p1))
    return merged


def add_calendar(start: datetime, n: Number, unit: str) -> datetime:
    """`start` plus `n` calendar days (may be fractional) or whole calendar months (clamped to the month's end)."""
    local = _local(start)
    amount = _amount(n)
    if unit == "days":
        return _aware(local + _to_timedelta(amount * 24))
    if unit == "months":
        if amount != amount.to_integral_value():
            raise ValueError("a time limit in months must be a whole number")
        months = local.month - 1 + int(amount)
        year, month = local.year + months // 12, months % 12 + 1
        day = min(local.day, _calendar.monthrange(year, month)[1])
        return _aware(local.replace(year=year, month=month, day=day))
    raise ValueError(f"unknown calendar unit {unit!r}; expected 'days' or 'months'")


DEFAULT_CALENDAR = WorkCalendar()


# --- module-level entry points (default calendar unless one is given) ----------------------------------------------


def is_working_day(day: date, calendar: WorkCalendar = DEFAULT_CALENDAR) -> bool:
    return calendar.is_working_day(day)


def start_of_counting(received_at: datetime, calendar: WorkCalendar = DEFAULT_CALENDAR) -> datetime:
    return calendar.start_of_counting(received_at)


def add_working_time(start: datetime, duration: timedelta, calendar: WorkCalendar = DEFAULT_CALENDAR) -> datetime:
    return calendar.add_working_time(start, duration)


def add_working_hours(start: datetime, hours: Number, calendar: WorkCalendar = DEFAULT_CALENDAR) -> datetime:
    return calendar.add_working_hours(start, hours)


def add_working_days(start: datetime, n: Number, calendar: WorkCalendar = DEFAULT_CALENDAR) -> datetime:
    return calendar.add_working_days(start, n)


def add_time_limit(start: datetime, value: Number, unit: str, calendar: WorkCalendar = DEFAULT_CALENDAR) -> datetime:
    return calendar.add_time_limit(start, value, unit)


def due_at(received_at: datetime, value: Number, unit: str, calendar: WorkCalendar = DEFAULT_CALENDAR) -> datetime:
    return calendar.due_at(received_at, value, unit)


def working_time_between(
    a: datetime, b: datetime, pauses: Iterable[tuple[datetime, datetime]] = (),
    calendar: WorkCalendar = DEFAULT_CALENDAR,
) -> timedelta:
    return calendar.working_time_between(a, b, pauses)


def working_days_between(
    a: datetime, b: datetime, pauses: Iterable[tuple[datetime, datetime]] = (),
    calendar: WorkCalendar = DEFAULT_CALENDAR,
) -> Decimal:
    return calendar.working_days_between(a, b, pauses)
