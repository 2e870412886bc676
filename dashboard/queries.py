"""Read-only views of the store for the pages and the API: one day in detail, many days in summary."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import func, select

from monitor.adapters.store import Store, StoredRevision
from monitor.model import Activity, Bout, Event, EventType, Posture
from monitor.schema import bouts as bouts_table
from monitor.schema import events as events_table
from monitor.stretches import DaySignals, day_signals
from monitor.summary import DayTotals, day_bounds, day_totals
from monitor.tracker import TrackerSnapshot

__all__ = ["DayDetail", "DaySummary", "HistoryCache", "PromptRow", "day_bounds", "day_detail", "history",
           "local_date", "timeline", "timeline_span", "today"]


@dataclass(frozen=True, slots=True)
class PromptRow:
    event: Event
    outcome: str | None


@dataclass(frozen=True, slots=True)
class DayDetail:
    """One calendar day: totals, posture, prompts with their outcomes, and the bouts to draw."""

    day: date
    now: float
    totals: DayTotals
    snapshot: TrackerSnapshot | None
    current_streak_seconds: float
    bouts: list[Bout]
    prompts: list[PromptRow]
    events: list[Event]
    signals: DaySignals
    upright_seconds: float
    slumped_seconds: float
    revisions: list[StoredRevision] = field(default_factory=list)  # the day judged again, oldest first


def local_date(t: float, tz: tzinfo | None) -> date:
    return (datetime.fromtimestamp(t, tz) if tz is not None else datetime.fromtimestamp(t).astimezone()).date()


def date_bounds(day: date, tz: tzinfo | None) -> tuple[float, float]:
    """[start, end) of a calendar day in the zone, as epoch seconds."""
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=tz)
    t = noon.timestamp() if tz is not None else noon.replace(tzinfo=None).astimezone().timestamp()
    return day_bounds(t, tz)


def _open_bout(snapshot: TrackerSnapshot | None) -> Bout | None:
    if snapshot is None or snapshot.bout_start is None or snapshot.last_t is None:
        return None
    return Bout(snapshot.bout_start, snapshot.last_t + 1.0, snapshot.activity, snapshot.posture)


def _posture_seconds(bouts: Iterable[Bout], start: float, end: float) -> tuple[float, float]:
    upright = slumped = 0.0
    for bout in bouts:
        if bout.activity is not Activity.SIT:
            continue
        seconds = max(0.0, min(bout.end, end) - max(bout.start, start))
        if bout.posture is Posture.UPRIGHT:
            upright += seconds
        elif bout.posture is Posture.SLUMPED:
            slumped += seconds
    return upright, slumped


def _prompt_rows(events: Sequence[Event]) -> list[PromptRow]:
    outcomes = {str(e.data.get("prompt_id")): str(e.data.get("outcome")) for e in events
                if e.type is EventType.PROMPT_OUTCOME}
    return [PromptRow(e, outcomes.get(e.id)) for e in events if e.type is EventType.PROMPT]


def day_detail(store: Store, wearer: str, day: date, now: float, tz: tzinfo | None) -> DayDetail:
    """The day in detail; the live snapshot's open bout and streak count only if the day holds `now`."""
    start, end = date_bounds(day, tz)
    bouts = store.bouts_between(wearer, start, end)
    events = store.events_between(wearer, start, end)
    snapshot = store.snapshot(wearer) if start <= now < end else None
    open_bout = _open_bout(snapshot)
    if open_bout is not None and (not bouts or open_bout.start >= bouts[-1].end):
        bouts.append(open_bout)
    streak = 0.0
    if snapshot is not None and snapshot.streak_start is not None and snapshot.last_t is not None:
        streak = max(0.0, snapshot.last_t + 1.0 - snapshot.streak_start)
    totals = day_totals(bouts, events, start, end, streak)
    upright, slumped = _posture_seconds(bouts, start, end)
    return DayDetail(day, now, totals, snapshot, streak, bouts, _prompt_rows(events), events,
                     day_signals(bouts, events, start, end, streak), upright, slumped,
                     store.revisions_between(wearer, start, end))


def today(store: Store, wearer: str, now: float, tz: tzinfo | None) -> DayDetail:
    return day_detail(store, wearer, local_date(now, tz), now, tz)


def timeline_span(detail: DayDetail) -> tuple[float, float]:
    """The part of the day worth drawing: whole hours around the data (the whole day when empty)."""
    start, end = detail.totals.day_start, detail.totals.day_end
    if detail.bouts:
        first = min(b.start for b in detail.bouts)
        last = max(b.end for b in detail.bouts)
        if start <= detail.now < end:
            last = max(last, detail.now)
        start = max(start, math.floor(first / 3600) * 3600)
        end = min(end, max(math.ceil(last / 3600) * 3600, start + 3600))
    return start, end


def timeline(bouts: list[Bout], start: float, end: float) -> list[dict[str, object]]:
    """Bouts clipped to [start, end), as percentages of it for drawing."""
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


@dataclass(frozen=True, slots=True)
class DaySummary:
    day: date
    sitting_seconds: float
    standing_seconds: float
    moving_seconds: float
    lying_seconds: float
    unknown_seconds: float
    upright_seconds: float
    slumped_seconds: float
    breaks: int
    prompts: int
    longest_streak_seconds: float
    streaks_over_30: int
    streaks_over_60: int

    @property
    def breaks_per_sitting_hour(self) -> float:
        hours = self.sitting_seconds / 3600
        return round(self.breaks / hours, 2) if hours > 0 else 0.0

    @property
    def tracked_seconds(self) -> float:
        return self.sitting_seconds + self.standing_seconds + self.moving_seconds + self.lying_seconds


def summarise(day: date, bouts: Sequence[Bout], events: Sequence[Event], start: float, end: float,
              current_streak_seconds: float = 0.0) -> DaySummary:
    totals = day_totals(bouts, events, start, end, current_streak_seconds)
    upright, slumped = _posture_seconds(bouts, start, end)
    streaks = [float(e.data.get("streak_seconds", 0.0)) for e in events
               if e.type is EventType.BREAK_TAKEN and start <= e.t < end]
    streaks.append(current_streak_seconds)
    return DaySummary(
        day=day, sitting_seconds=totals.sitting_seconds, standing_seconds=totals.standing_seconds,
        moving_seconds=totals.moving_seconds, lying_seconds=totals.lying_seconds,
        unknown_seconds=totals.unknown_seconds, upright_seconds=upright, slumped_seconds=slumped,
        breaks=totals.breaks, prompts=totals.prompts, longest_streak_seconds=totals.longest_streak_seconds,
        streaks_over_30=sum(1 for s in streaks if s >= 30 * 60),
        streaks_over_60=sum(1 for s in streaks if s >= 60 * 60),
    )


# New events are stamped with the time of the data they describe, which trails the newest event
# stored before them by far less than this; days ending earlier are left in the cache.
EVENT_LAG_SECONDS = 3600.0
_COUNTED = (EventType.BREAK_TAKEN.value, EventType.PROMPT.value)


class HistoryCache:
    """Summaries of past days, kept until new rows reach into them.

    A year of history is a few hundred thousand bouts; summarising them on every request would
    take longer than the page may. Bouts have increasing ids, so the bouts written since the last
    look tell exactly which days changed (a re-learn's revision deletes a span's rows and writes it
    again, the parts of cut bouts included, so its new rows reach back to the earliest change);
    events are checked by count and their newest time.
    """

    def __init__(self) -> None:
        self._days: dict[tuple[str, date], DaySummary] = {}
        self._marks: dict[str, tuple[int, int, float]] = {}
        self._lock = threading.Lock()

    def _invalidate_changed(self, store: Store, wearer: str, tz: tzinfo | None) -> None:
        with store.engine.connect() as conn:
            max_id = conn.execute(select(func.max(bouts_table.c.id))).scalar() or 0
            count, newest = conn.execute(
                select(func.count(), func.max(events_table.c.t))
                .where(events_table.c.wearer == wearer, events_table.c.type.in_(_COUNTED))).one()
            last_id, last_count, last_newest = self._marks.get(wearer, (0, 0, -math.inf))
            changed_from = math.inf
            if max_id != last_id:
                earliest = conn.execute(select(func.min(bouts_table.c.start)).where(
                    bouts_table.c.wearer == wearer, bouts_table.c.id > last_id)).scalar()
                if earliest is not None:
                    changed_from = min(changed_from, float(earliest))
                if max_id < last_id:  # rows were deleted: trust nothing
                    changed_from = -math.inf
        if count != last_count:
            changed_from = min(changed_from, last_newest - EVENT_LAG_SECONDS if count > last_count else -math.inf)
        if changed_from < math.inf:
            first_changed = local_date(max(changed_from, 0.0), tz) if changed_from > -math.inf else date.min
            for key in [k for k in self._days if k[0] == wearer and k[1] >= first_changed]:
                del self._days[key]
        self._marks[wearer] = (int(max_id), int(count), float(newest) if newest is not None else -math.inf)

    def summaries(self, store: Store, wearer: str, first: date, last: date, now: float,
                  tz: tzinfo | None) -> list[DaySummary]:
        today_date = local_date(now, tz)
        with self._lock:
            self._invalidate_changed(store, wearer, tz)
            days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
            missing = [d for d in days if (wearer, d) not in self._days or d >= today_date]
            if missing:
                self._fill(store, wearer, missing, now, tz)
            return [self._days[(wearer, d)] for d in days]

    def _fill(self, store: Store, wearer: str, days: list[date], now: float, tz: tzinfo | None) -> None:
        start, _ = date_bounds(days[0], tz)
        _, end = date_bounds(days[-1], tz)
        all_bouts = store.bouts_between(wearer, start, end)
        all_events = store.events_between(wearer, start, end, [EventType.BREAK_TAKEN, EventType.PROMPT])
        snapshot = store.snapshot(wearer)
        b = e = 0
        for day in days:
            d_start, d_end = date_bounds(day, tz)
            while b < len(all_bouts) and all_bouts[b].end <= d_start:
                b += 1
            day_bouts = []
            j = b
            while j < len(all_bouts) and all_bouts[j].start < d_end:
                day_bouts.append(all_bouts[j])
                j += 1
            while e < len(all_events) and all_events[e].t < d_start:
                e += 1
            k = e
            while k < len(all_events) and all_events[k].t < d_end:
                k += 1
            streak = 0.0
            if d_start <= now < d_end:
                open_bout = _open_bout(snapshot)
                if open_bout is not None and (not day_bouts or open_bout.start >= day_bouts[-1].end):
                    day_bouts.append(open_bout)
                if snapshot is not None and snapshot.streak_start is not None and snapshot.last_t is not None:
                    streak = max(0.0, snapshot.last_t + 1.0 - snapshot.streak_start)
            self._days[(wearer, day)] = summarise(day, day_bouts, all_events[e:k], d_start, d_end, streak)


def history(store: Store, wearer: str, first: date, last: date, now: float, tz: tzinfo | None,
            cache: HistoryCache | None = None) -> list[DaySummary]:
    """One summary per calendar day from `first` to `last` inclusive."""
    return (cache or HistoryCache()).summaries(store, wearer, first, last, now, tz)
