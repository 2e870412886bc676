"""Read-only views of the store for the pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from monitor.adapters.store import Store
from monitor.model import Activity, Bout, Event, EventType, Posture
from monitor.summary import DayTotals, day_bounds, day_totals

__all__ = ["Today", "day_bounds", "timeline", "today"]
from monitor.tracker import TrackerSnapshot


@dataclass(frozen=True, slots=True)
class Today:
    now: float
    totals: DayTotals
    snapshot: TrackerSnapshot | None
    current_streak_seconds: float
    bouts: list[Bout]
    prompts: list[Event]


def _open_bout(snapshot: TrackerSnapshot | None) -> Bout | None:
    if snapshot is None or snapshot.bout_start is None or snapshot.last_t is None:
        return None
    return Bout(snapshot.bout_start, snapshot.last_t + 1.0, snapshot.activity, snapshot.posture)


def today(store: Store, wearer: str, now: float, tz: tzinfo | None) -> Today:
    start, end = day_bounds(now, tz)
    snapshot = store.snapshot(wearer)
    bouts = store.bouts_between(wearer, start, end)
    open_bout = _open_bout(snapshot)
    if open_bout is not None and (not bouts or open_bout.start >= bouts[-1].end):
        bouts.append(open_bout)
    events = store.events_between(wearer, start, end)
    streak = 0.0
    if snapshot is not None and snapshot.streak_start is not None and snapshot.last_t is not None:
        streak = max(0.0, snapshot.last_t + 1.0 - snapshot.streak_start)
    totals = day_totals(bouts, events, start, end, streak)
    prompts = [e for e in events if e.type is EventType.PROMPT]
    return Today(now, totals, snapshot, streak, bouts, prompts)


def timeline(bouts: list[Bout], start: float, end: float) -> list[dict[str, object]]:
    """Bouts clipped to the day, as fractions of the day for drawing."""
    span = end - start
    rows: list[dict[str, object]] = []
    for bout in bouts:
        s, e = max(bout.start, start), min(bout.end, end)
        if e <= s:
            continue
        rows.append({
            "activity": bout.activity.value,
            "slumped": bout.activity is Activity.SIT and bout.posture is Posture.SLUMPED,
            "left": round((s - start) / span * 100, 4), "width": round((e - s) / span * 100, 4),
            "start": s, "end": e,
        })
    return rows
