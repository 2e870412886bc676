"""Day totals from bouts and events: shared by the daemon's state messages and the dashboard."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from monitor.model import Activity, Bout, Event, EventType


@dataclass(frozen=True, slots=True)
class DayTotals:
    day_start: float
    day_end: float
    sitting_seconds: float
    standing_seconds: float
    moving_seconds: float
    lying_seconds: float
    unknown_seconds: float
    breaks: int
    prompts: int
    longest_streak_seconds: float


def day_bounds(t: float, tz: tzinfo | None) -> tuple[float, float]:
    """The local calendar day holding `t`, as [start, end) epoch seconds (None: the system zone)."""
    if tz is None:
        # Naive local midnights are resolved with the offset in force at each of them. The offset in
        # force at `t` would put the day's start an hour off on the days the clocks change.
        day = datetime.fromtimestamp(t).astimezone().date()
        return (datetime.combine(day, time(0)).astimezone().timestamp(),
                datetime.combine(day + timedelta(days=1), time(0)).astimezone().timestamp())
    day = datetime.fromtimestamp(t, tz).date()
    return (datetime.combine(day, time(0), tz).timestamp(),
            datetime.combine(day + timedelta(days=1), time(0), tz).timestamp())


def _clip(bout: Bout, start: float, end: float) -> float:
    return max(0.0, min(bout.end, end) - max(bout.start, start))


def day_totals(bouts: Iterable[Bout], events: Iterable[Event], start: float, end: float,
               current_streak_seconds: float = 0.0) -> DayTotals:
    seconds = dict.fromkeys(Activity, 0.0)
    for bout in bouts:
        seconds[bout.activity] += _clip(bout, start, end)
    breaks = prompts = 0
    longest = current_streak_seconds
    for event in events:
        if not start <= event.t < end:
            continue
        if event.type is EventType.BREAK_TAKEN:
            breaks += 1
            longest = max(longest, float(event.data.get("streak_seconds", 0.0)))
        elif event.type is EventType.PROMPT:
            prompts += 1
    return DayTotals(
        day_start=start, day_end=end,
        sitting_seconds=seconds[Activity.SIT], standing_seconds=seconds[Activity.STAND],
        moving_seconds=seconds[Activity.MOVE], lying_seconds=seconds[Activity.LIE],
        unknown_seconds=seconds[Activity.UNKNOWN], breaks=breaks, prompts=prompts,
        longest_streak_seconds=longest,
    )
