"""Daily time windows ("08:30-17:30", "22:00-07:00") and days of the week, in the wearer's zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-4]):([0-5]\d)\s*$")


@dataclass(frozen=True, slots=True)
class Window:
    """Minutes after local midnight; end < start wraps past midnight."""

    start: int
    end: int

    def contains(self, minute: int) -> bool:
        if self.start <= self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


def parse_window(text: str) -> Window:
    """`"HH:MM-HH:MM"` -> Window; raises ValueError with the reason."""
    match = _WINDOW.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a time window like 08:30-17:30")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end > 24 * 60:
        raise ValueError(f"{text!r} ends after 24:00")
    if start == end:
        raise ValueError(f"{text!r} is empty")
    return Window(start, end)


def parse_day(text: str) -> int:
    key = text.strip().lower()[:3]
    if key not in DAY_NAMES:
        raise ValueError(f"{text!r} is not a day of the week (mon, tue, ..., sun)")
    return DAY_NAMES.index(key)


def local(t: float, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(t, tz)


def minute_of_day(t: float, tz: tzinfo) -> int:
    moment = local(t, tz)
    return moment.hour * 60 + moment.minute


def in_any(t: float, windows: tuple[Window, ...], tz: tzinfo) -> bool:
    minute = minute_of_day(t, tz)
    return any(w.contains(minute) for w in windows)
