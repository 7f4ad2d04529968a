"""The injectable clock: domain code asks `clock.now()`, never `datetime.now()`.

Tests, imports of historical records and the workload simulator replace the clock with `use_clock(FrozenClock(...))`
so the same code runs at any date.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Protocol

from django.utils import timezone


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return timezone.now()


class FrozenClock:
    """A clock that stands still until moved: `advance(timedelta)` or `set(datetime)`."""

    def __init__(self, at: datetime) -> None:
        if timezone.is_naive(at):
            raise ValueError("FrozenClock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at

    def advance(self, delta: timedelta) -> None:
        self._at += delta


_current: Clock = SystemClock()


def now() -> datetime:
    """The current instant (aware, UTC-based) from the installed clock."""
    return _current.now()


def today() -> date:
    """Today's date in the configured local time zone (Asia/Ho_Chi_Minh by default)."""
    return timezone.localtime(now()).date()


@contextlib.contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Install `clock` for the duration of the block."""
    global _current
    previous, _current = _current, clock
    try:
        yield clock
    finally:
        _current = previous
