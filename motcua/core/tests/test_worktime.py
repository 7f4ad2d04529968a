"""Working-time arithmetic: properties (hypothesis) checked against a minute-by-minute oracle, plus Vietnamese cases.

The rule under test (see motcua/core/worktime.py): the due instant of a limit of d working time from s is the earliest
instant t with working time in [s, t) == d; N working days = N x (working hours per day). With the default shifts
07:30-11:30 and 13:30-17:00 (7.5 h a day): Monday 08:00 + 1 working day = Tuesday 08:00; Monday 07:30 + 1 working day
= Monday 17:00.
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import holidays
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from motcua.core import worktime
from motcua.core.worktime import DEFAULT_CALENDAR, LOCAL_TZ, WorkCalendar

PROPERTY = settings(deadline=None, max_examples=150)

FIRST_DAY, LAST_DAY = date(2024, 1, 1), date(2028, 12, 31)
_VN = holidays.country_holidays("VN", years=range(2023, 2031))


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


def hours(h):
    return timedelta(microseconds=int(Decimal(h) * 3_600_000_000))


# --- an independent oracle -----------------------------------------------------------------------------------------


def oracle_is_working_day(cal: WorkCalendar, day: date) -> bool:
    if day in cal.extra_holidays:
        return False
    if day in cal.extra_workdays:
        return True
    return _VN.is_working_day(day)


def oracle_minutes(cal: WorkCalendar, a: datetime, b: datetime, pauses=()) -> int:
    """Working minutes in [a, b) not inside any pause, counted one minute at a time (minute-aligned inputs)."""
    count, t = 0, a
    while t < b:
        local = t.astimezone(LOCAL_TZ)
        in_shift = any(s <= local.time() < e for s, e in cal.shifts)
        paused = any(p0 <= t < p1 for p0, p1 in pauses)
        if in_shift and not paused and oracle_is_working_day(cal, local.date()):
            count += 1
        t += timedelta(minutes=1)
    return count


# --- strategies ----------------------------------------------------------------------------------------------------

days = st.dates(min_value=FIRST_DAY, max_value=LAST_DAY)
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(LOCAL_TZ)
)


@st.composite
def minute_instants(draw, start=FIRST_DAY, end=LAST_DAY):
    day = draw(st.dates(min_value=start, max_value=end))
    minute = draw(st.integers(0, 24 * 60 - 1))
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ) + timedelta(minutes=minute)


@st.composite
def shift_sets(draw):
    """1 to 3 disjoint shifts on half hours (so a working day lasts at least 30 minutes)."""
    count = draw(st.integers(1, 3))
    points = sorted(draw(st.sets(st.integers(1, 47), min_size=2 * count, max_size=2 * count)))
    as_time = [time(p // 2, 30 * (p % 2)) for p in points]
    return tuple(zip(as_time[::2], as_time[1::2], strict=True))


@st.composite
def calendars(draw):
    if draw(st.booleans()):
        return DEFAULT_CALENDAR
    near = st.dates(min_value=FIRST_DAY, max_value=LAST_DAY)
    return WorkCalendar(
        extra_holidays=frozenset(draw(st.sets(near, max_size=40))),
        extra_workdays=frozenset(draw(st.sets(near, max_size=40))),
        shifts=draw(st.one_of(st.just(worktime.DEFAULT_SHIFTS), shift_sets())),
        cutoff=draw(st.times()),
    )


# Amounts of working hours, exact to the microsecond (4 decimals of an hour = 0.36 s).
amounts = st.decimals(min_value=0, max_value=400, places=4)


# --- properties ----------------------------------------------------------------------------------------------------


@PROPERTY
@given(calendars(), instants, amounts)
def test_adding_then_measuring_round_trips(cal, s, h):
    due = worktime.add_working_hours(s, h, cal)
    assert worktime.working_time_between(s, due, calendar=cal) == hours(h)
    inside = cal.next_working_instant(s)
    assert worktime.working_time_between(inside, worktime.add_working_hours(inside, h, cal), calendar=cal) == hours(h)


@PROPERTY
@given(calendars(), instants, amounts, amounts)
def test_more_hours_is_never_earlier(cal, s, h1, h2):
    low, high = sorted((h1, h2))
    assert worktime.add_working_hours(s, low, cal) <= worktime.add_working_hours(s, high, cal)


@PROPERTY
@given(calendars(), instants, amounts)
def test_due_is_inside_working_time_or_at_a_shift_end_of_a_working_day(cal, s, h):
    due = worktime.add_working_hours(s, h, cal)
    assert due.tzinfo == LOCAL_TZ
    assert due >= s
    assert cal.is_working_instant(due) or cal.is_shift_end(due)
    assert oracle_is_working_day(cal, due.date())
    if h > 0:
        assert not cal.is_working_instant(due) or not any(due.time() == start for start, _end in cal.shifts)


@PROPERTY
@given(calendars(), instants, amounts, amounts)
def test_adding_in_two_steps_equals_adding_once(cal, s, h1, h2):
    step = worktime.add_working_hours(s, h1, cal)
    assert worktime.add_working_hours(step, h2, cal) == worktime.add_working_hours(s, h1 + h2, cal)


@PROPERTY
@given(calendars(), instants, st.decimals(min_value=0, max_value=60, places=3))
def test_working_days_are_hours_per_day_of_working_time(cal, s, n):
    assert worktime.add_working_days(s, n, cal) == worktime.add_working_hours(s, n * cal.hours_per_day, cal)
    due = worktime.add_working_days(s, n, cal)
    assert worktime.working_days_between(s, due, calendar=cal) == n


@PROPERTY
@given(calendars(), days, st.integers(1, 40))
def test_n_working_days_from_a_day_start_end_with_the_nth_working_day(cal, day, n):
    """From the first shift start of a working day d, N working days end at the last shift end of the N-th working
    day counting d as the first."""
    assume(oracle_is_working_day(cal, day))
    start = datetime.combine(day, cal.shifts[0][0], tzinfo=LOCAL_TZ)
    nth, seen = day, 1
    while seen < n:
        nth += timedelta(days=1)
        seen += oracle_is_working_day(cal, nth)
    assert worktime.add_working_days(start, n, cal) == datetime.combine(nth, cal.shifts[-1][1], tzinfo=LOCAL_TZ)


@PROPERTY
@given(calendars(), instants, instants, instants)
def test_measuring_is_additive_over_adjacent_intervals(cal, x, y, z):
    a, b, c = sorted((x, y, z))
    between = worktime.working_time_between
    assert between(a, b, calendar=cal) + between(b, c, calendar=cal) == between(a, c, calendar=cal)
    assert between(c, a, calendar=cal) == timedelta(0)


@st.composite
def spans_with_pauses(draw):
    a = draw(minute_instants())
    b = a + timedelta(minutes=draw(st.integers(0, 6 * 24 * 60)))
    pauses = []
    for _ in range(draw(st.integers(0, 4))):
        p0 = a + timedelta(minutes=draw(st.integers(-2 * 24 * 60, 7 * 24 * 60)))
        pauses.append((p0, p0 + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))))
    return a, b, pauses


@settings(deadline=None, max_examples=60)
@given(calendars(), spans_with_pauses())
def test_measuring_matches_a_minute_by_minute_count(cal, span):
    """Any pauses, overlapping or sticking out of [a, b): each working minute of [a, b) outside them counts once."""
    a, b, pauses = span
    expected = timedelta(minutes=oracle_minutes(cal, a, b, pauses))
    assert worktime.working_time_between(a, b, pauses, calendar=cal) == expected


@st.composite
def disjoint_pauses_inside(draw):
    a = draw(instants)
    b = a + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=90)))
    cuts = sorted(draw(st.lists(st.datetimes(min_value=a.replace(tzinfo=None), max_value=b.replace(tzinfo=None),
                                             timezones=st.just(LOCAL_TZ)), max_size=8)))
    if len(cuts) % 2:
        cuts.pop()
    return a, b, list(zip(cuts[::2], cuts[1::2], strict=True))


@PROPERTY
@given(calendars(), disjoint_pauses_inside())
def test_pauses_inside_reduce_by_exactly_their_working_time(cal, span):
    a, b, pauses = span
    between = worktime.working_time_between
    paused = sum((between(p0, p1, calendar=cal) for p0, p1 in pauses), timedelta(0))
    assert between(a, b, pauses, calendar=cal) == between(a, b, calendar=cal) - paused


@PROPERTY
@given(calendars(), instants, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)),
       st.lists(st.tuples(instants, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30))), max_size=5))
def test_overlapping_and_repeated_pauses_are_counted_once(cal, a, length, raw):
    b = a + length
    pauses = [(p, p + d) for p, d in raw]
    between = worktime.working_time_between
    once = between(a, b, pauses, calendar=cal)
    assert between(a, b, pauses + pauses[::-1], calendar=cal) == once
    assert timedelta(0) <= once <= between(a, b, calendar=cal)
    if pauses:  # a pause covering every other pause and sticking out of [a, b) leaves nothing
        wide = (min(a, *(p0 for p0, _ in pauses)) - timedelta(days=1), max(b, *(p1 for _, p1 in pauses)))
        assert between(a, b, [*pauses, wide], calendar=cal) == timedelta(0)


@PROPERTY
@given(calendars(), instants)
def test_start_of_counting(cal, received):
    start = worktime.start_of_counting(received, cal)
    assert start >= received
    assert cal.is_working_instant(start)
    local = received.astimezone(LOCAL_TZ)
    same_day = (oracle_is_working_day(cal, local.date()) and local.time() <= cal.cutoff
                and local.time() < cal.shifts[-1][1])
    if same_day:
        assert start == cal.next_working_instant(received)
        assert start.date() == local.date()
    else:
        assert start.date() > local.date()
        assert start.time() == cal.shifts[0][0]
        gap = local.date() + timedelta(days=1)
        while gap < start.date():
            assert not oracle_is_working_day(cal, gap)
            gap += timedelta(days=1)


@PROPERTY
@given(calendars(), days)
def test_is_working_day_follows_the_precedence(cal, day):
    assert worktime.is_working_day(day, cal) == oracle_is_working_day(cal, day)
    closed = WorkCalendar(extra_holidays=frozenset({day}), extra_workdays=frozenset({day}))
    assert not closed.is_working_day(day)
    assert WorkCalendar(extra_workdays=frozenset({day})).is_working_day(day)


# --- concrete Vietnamese cases (default shifts 07:30-11:30, 13:30-17:00; cut-off 15:00) ------------------------------


def test_the_package_closes_tet_2026_from_monday_16_to_friday_20_february():
    assert [d.day for d in (date(2026, 2, 16) + timedelta(days=i) for i in range(5))
            if not worktime.is_working_day(d)] == [16, 17, 18, 19, 20]
    assert worktime.is_working_day(date(2026, 2, 13)) and worktime.is_working_day(date(2026, 2, 23))


def test_one_working_day_from_friday_before_tet_is_due_monday_after_tet():
    assert worktime.add_working_days(at(2026, 2, 13, 10), 1) == at(2026, 2, 23, 10)
    assert worktime.working_days_between(at(2026, 2, 13, 10), at(2026, 2, 23, 10)) == 1


def test_received_after_the_cutoff_on_friday_counts_from_monday():
    assert worktime.start_of_counting(at(2026, 3, 6, 15, 30)) == at(2026, 3, 9, 7, 30)
    assert worktime.due_at(at(2026, 3, 6, 15, 30), 1, "working_days") == at(2026, 3, 9, 17)
    # exactly 15:00 is not after the cut-off
    assert worktime.start_of_counting(at(2026, 3, 6, 15)) == at(2026, 3, 6, 15)
    assert worktime.due_at(at(2026, 3, 6, 15), 1, "working_days") == at(2026, 3, 9, 15)


def test_start_of_counting_clamps_into_working_hours():
    assert worktime.start_of_counting(at(2026, 3, 9, 6)) == at(2026, 3, 9, 7, 30)
    assert worktime.start_of_counting(at(2026, 3, 9, 12)) == at(2026, 3, 9, 13, 30)
    assert worktime.start_of_counting(at(2026, 3, 9, 11, 30)) == at(2026, 3, 9, 13, 30)
    assert worktime.start_of_counting(at(2026, 3, 7, 9)) == at(2026, 3, 9, 7, 30)  # Saturday -> Monday
    assert worktime.start_of_counting(at(2026, 2, 14, 9)) == at(2026, 2, 23, 7, 30)  # Tết -> after Tết


def test_national_day_is_skipped():
    assert not worktime.is_working_day(date(2027, 9, 2))
    assert not worktime.is_working_day(date(2027, 9, 3))  # the adjacent day
    # Wednesday 1 Sep 2027 08:00 + 1 working day: Thursday 2 and Friday 3 are closed, the weekend too.
    assert worktime.add_working_days(at(2027, 9, 1, 8), 1) == at(2027, 9, 6, 8)


def test_the_packages_swapped_saturday_is_a_working_day():
    # 2026: Monday 31 Aug is off, made up on Saturday 22 Aug.
    assert worktime.is_working_day(date(2026, 8, 22))
    assert not worktime.is_working_day(date(2026, 8, 31))
    assert worktime.add_working_days(at(2026, 8, 21, 8), 1) == at(2026, 8, 22, 8)
    assert worktime.add_working_days(at(2026, 8, 28, 8), 1) == at(2026, 9, 3, 8)  # 31/8, 1/9 and 2/9 skipped
    # a swap across a year boundary: day off Friday 2 Jan 2015 made up on Saturday 27 Dec 2014
    assert worktime.is_working_day(date(2014, 12, 27)) and not worktime.is_working_day(date(2015, 1, 2))


def test_an_extra_workday_counts():
    saturday = date(2026, 3, 7)
    cal = WorkCalendar(extra_workdays=frozenset({saturday}))
    assert worktime.add_working_days(at(2026, 3, 6, 8), 1) == at(2026, 3, 9, 8)
    assert worktime.add_working_days(at(2026, 3, 6, 8), 1, cal) == at(2026, 3, 7, 8)


def test_an_extra_holiday_is_skipped():
    cal = WorkCalendar(extra_holidays=frozenset({date(2026, 3, 10)}))
    assert worktime.add_working_days(at(2026, 3, 9, 8), 1, cal) == at(2026, 3, 11, 8)
    assert worktime.working_time_between(at(2026, 3, 9, 8), at(2026, 3, 11, 8), calendar=cal) == hours("7.5")


def test_the_n_working_days_rule_on_an_ordinary_week():
    monday = (2026, 3, 2)
    assert worktime.add_working_days(at(*monday, 8), 1) == at(2026, 3, 3, 8)  # same clock time, next working day
    assert worktime.add_working_days(at(*monday, 7, 30), 1) == at(*monday, 17)  # end of the first working day
    assert worktime.add_working_days(at(*monday, 7, 30), 2) == at(2026, 3, 3, 17)
    assert worktime.add_working_days(at(*monday, 7, 30), 5) == at(2026, 3, 6, 17)
    assert worktime.add_working_days(at(*monday, 13, 30), 1) == at(2026, 3, 3, 11, 30)  # shift end, not 13:30
    assert worktime.add_working_days(at(*monday, 7, 30), Decimal("0.5")) == at(*monday, 11, 15)
    assert worktime.add_working_days(at(*monday, 7, 30), 0.5) == at(*monday, 11, 15)
    assert worktime.add_working_hours(at(*monday, 10), 2) == at(*monday, 14)  # lunch is not counted
    assert worktime.add_working_hours(at(*monday, 12), 0) == at(*monday, 13, 30)
    assert worktime.add_working_hours(at(*monday, 16), 1) == at(*monday, 17)
    assert worktime.add_working_hours(at(*monday, 16), Decimal("1.25")) == at(2026, 3, 3, 7, 45)


def test_vietnam_cultural_day_2026_is_a_holiday_in_the_package():
    assert not worktime.is_working_day(date(2026, 11, 24))
    assert worktime.add_working_days(at(2026, 11, 23, 8), 1) == at(2026, 11, 25, 8)


def test_instants_in_other_zones_are_read_as_hanoi_time():
    due = worktime.add_working_days(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), 1)  # 08:00 in Hanoi
    assert due == at(2026, 3, 3, 8) and due.tzinfo == LOCAL_TZ


def test_pauses_on_a_concrete_dossier():
    a, b = at(2026, 3, 2, 8), at(2026, 3, 6, 17)  # Monday 08:00 .. Friday 17:00 = 4.5 days - 0.5 h
    assert worktime.working_time_between(a, b) == hours("37")
    supplement = (at(2026, 3, 3, 9), at(2026, 3, 4, 9))  # waiting for the applicant: one working day
    assert worktime.working_time_between(a, b, [supplement]) == hours("29.5")
    overlapping = [supplement, (at(2026, 3, 3, 14), at(2026, 3, 4, 10))]  # one more hour on Wednesday
    assert worktime.working_time_between(a, b, overlapping) == hours("28.5")
    assert worktime.working_days_between(a, b, overlapping) == Decimal("3.8")
    assert worktime.working_time_between(a, b, [(at(2026, 2, 1), at(2026, 4, 1))]) == timedelta(0)


def test_calendar_units():
    start = at(2026, 1, 31, 10)
    assert worktime.add_time_limit(start, 1, "months") == at(2026, 2, 28, 10)
    assert worktime.add_time_limit(at(2028, 1, 31, 10), 1, "months") == at(2028, 2, 29, 10)
    assert worktime.add_time_limit(start, 12, "months") == at(2027, 1, 31, 10)
    assert worktime.add_time_limit(start, Decimal("3"), "months") == at(2026, 4, 30, 10)
    assert worktime.add_time_limit(start, 10, "days") == at(2026, 2, 10, 10)
    assert worktime.add_time_limit(start, 0.5, "days") == at(2026, 1, 31, 22)
    assert worktime.add_time_limit(at(2026, 3, 2, 8), 16, "working_hours") == at(2026, 3, 4, 9)
    assert worktime.add_time_limit(at(2026, 3, 2, 8), 2, "working_days") == at(2026, 3, 4, 8)


@pytest.mark.parametrize("call", [
    lambda: worktime.add_time_limit(at(2026, 3, 2), 1, "weeks"),
    lambda: worktime.add_time_limit(at(2026, 3, 2), 1.5, "months"),
    lambda: worktime.add_working_days(at(2026, 3, 2), -1),
    lambda: worktime.add_working_hours(at(2026, 3, 2), float("nan")),
    lambda: worktime.add_working_days(datetime(2026, 3, 2, 8), 1),  # naive
    lambda: worktime.working_time_between(datetime(2026, 3, 2, 8), at(2026, 3, 3)),
    lambda: WorkCalendar(shifts=()),
    lambda: WorkCalendar(shifts=((time(8), time(12)), (time(11), time(17)))),
    lambda: WorkCalendar(shifts=((time(12), time(8)),)),
    lambda: worktime.parse_shifts("07:30"),
    lambda: worktime.parse_time("7h30"),
])
def test_bad_input_is_refused(call):
    with pytest.raises(ValueError):
        call()


def test_parsing_settings_values():
    assert worktime.parse_time("15:00") == time(15)
    assert worktime.parse_shifts("07:30-11:30, 13:30-17:00") == worktime.DEFAULT_SHIFTS
    assert worktime.parse_shifts([("08:00", "12:00")]) == ((time(8), time(12)),)
    assert DEFAULT_CALENDAR.hours_per_day == Decimal("7.5")


def test_a_thousand_working_days_jump_by_days():
    import time as timer

    start = at(2026, 1, 5, 7, 30)
    began = timer.perf_counter()
    due = worktime.add_working_days(start, 1000)
    measured = worktime.working_days_between(start, due)
    assert timer.perf_counter() - began < 0.5
    assert measured == 1000
    assert due.time() == time(17) and worktime.is_working_day(due.date())
