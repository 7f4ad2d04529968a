from datetime import UTC, datetime, timedelta

import pytest

from motcua.core import clock
from motcua.core.clock import FrozenClock, use_clock


def test_use_clock_installs_and_restores():
    at = datetime(2022, 1, 31, 17, 30, tzinfo=UTC)  # 00:30 on 1 Feb in Hanoi
    before = clock.now()
    with use_clock(FrozenClock(at)) as frozen:
        assert clock.now() == at
        assert clock.today().isoformat() == "2022-02-01"
        frozen.advance(timedelta(hours=1))
        assert clock.now() == at + timedelta(hours=1)
    assert clock.now() >= before


def test_frozen_clock_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        FrozenClock(datetime(2022, 1, 1))
