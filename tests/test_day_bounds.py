"""Where "today" begins when no wearer.timezone is set: the system zone, on the days its clocks change too."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from monitor.summary import day_bounds

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def system_zone_berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(("day", "hours"), [((2026, 3, 29), 23), ((2026, 10, 25), 25), ((2026, 6, 1), 24)])
def test_the_system_zone_day_starts_at_its_own_midnight(system_zone_berlin: None, day: tuple[int, int, int],
                                                        hours: int) -> None:
    afternoon = datetime(*day, 15, tzinfo=BERLIN).timestamp()
    start, end = day_bounds(afternoon, None)
    assert datetime.fromtimestamp(start, BERLIN) == datetime(*day, 0, tzinfo=BERLIN)
    assert (end - start) / 3600 == hours
    assert (start, end) == day_bounds(afternoon, BERLIN)
