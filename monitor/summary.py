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
    local = datetime.fromtimestamp(t, tz) if tz is not None else datetime.fromtimestamp(t).astimezone()
    start = datetime.combine(local.date(), time(0), local.tzinfo)
    end = datetime.combine(local.date() + timedelta(days=1), time(0), local.tzinfo)
    if tz is not None:
        start, end = start.replace(tzinfo=tz), end.replace(tzinfo=tz)
    return start.timestamp(), end.timestamp()


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
