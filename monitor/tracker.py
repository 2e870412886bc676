"""The sitting tracker: a pure state machine from per-second posture states to bouts and events.

Theory of operation
- Input is one `PostureState` per second (`feed`) and the passage of time (`tick`). The tracker
  never reads a clock: a replayed recording gives exactly the events that living it gave.
- Bouts: consecutive seconds with the same activity (and posture) form a bout; a bout is closed
  when the activity changes or when data stops for longer than `GAP_SECONDS` (the gap itself
  becomes an `unknown` bout).
- Sitting streak: starts with the first sitting second when no streak runs. Standing, moving or
  lying only end it once they have lasted `break_seconds` without interruption; a shorter stand
  (reaching for a file) leaves the streak running. `unknown` seconds (sensor gaps) neither extend
  the break nor end the streak: the streak's length is clock time since it started.
- Gaps: a gap up to `max_gap` (default 30 min) is bridged: if the wearer sits before and after it,
  the streak goes on and its clock keeps running (sitting totals never count the gap). A longer
  gap ends the streak without a break (nobody knows what happened; typically the sensor was off).
- Prompts are decided on top of these facts by `monitor.prompts.Prompter`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from monitor.model import Activity, Bout, Event, EventType, Posture, PostureState, Revision, event_id

GAP_SECONDS = 5.0
AWAY = frozenset({Activity.STAND, Activity.MOVE, Activity.LIE})


@dataclass(frozen=True, slots=True)
class TrackerRules:
    break_seconds: float = 60.0
    max_gap: float = 30 * 60.0


@dataclass(frozen=True, slots=True)
class TrackerSnapshot:
    """Everything needed to continue after a restart, and the live numbers for MQTT and the dashboard."""

    last_t: float | None = None
    activity: Activity = Activity.UNKNOWN
    posture: Posture = Posture.UNKNOWN
    confidence: float = 0.0
    bout_start: float | None = None
    streak_start: float | None = None
    away_since: float | None = None
    event_seq: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "last_t": self.last_t, "activity": self.activity.value, "posture": self.posture.value,
            "confidence": self.confidence, "bout_start": self.bout_start, "streak_start": self.streak_start,
            "away_since": self.away_since, "event_seq": self.event_seq,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrackerSnapshot:
        return cls(
            last_t=data.get("last_t"), activity=Activity(data.get("activity", "unknown")),
            posture=Posture(data.get("posture", "unknown")), confidence=float(data.get("confidence", 0.0)),
            bout_start=data.get("bout_start"), streak_start=data.get("streak_start"),
            away_since=data.get("away_since"), event_seq=int(data.get("event_seq", 0)),
        )


@dataclass(slots=True)
class TrackerOutput:
    events: list[Event] = field(default_factory=list)
    bouts: list[Bout] = field(default_factory=list)
    # Spans of stored bouts judged again (applied after `bouts`, in order).
    revisions: list[Revision] = field(default_factory=list)

    def extend(self, other: TrackerOutput) -> None:
        self.events.extend(other.events)
        self.bouts.extend(other.bouts)
        self.revisions.extend(other.revisions)


class Tracker:
    def __init__(self, wearer: str, rules: TrackerRules, snapshot: TrackerSnapshot | None = None) -> None:
        self.wearer = wearer
        self.rules = rules
        self._s = snapshot or TrackerSnapshot()

    @property
    def snapshot(self) -> TrackerSnapshot:
        return self._s

    def streak_seconds(self, now: float) -> float:
        return 0.0 if self._s.streak_start is None else max(0.0, now - self._s.streak_start)

    def feed(self, state: PostureState) -> TrackerOutput:
        """Take the judgement for one second; return closed bouts and events."""
        out = TrackerOutput()
        s = self._s
        if s.last_t is not None and state.t < s.last_t:
            return out  # late or repeated second: the past is settled
        if s.last_t is not None and state.t - s.last_t > GAP_SECONDS:
            out.extend(self._close_bout(s.last_t + 1.0))
            out.bouts.append(Bout(s.last_t + 1.0, state.t, Activity.UNKNOWN, Posture.UNKNOWN))
            self._s = replace(self._s, bout_start=None, activity=Activity.UNKNOWN, posture=Posture.UNKNOWN)
            if state.t - (s.last_t + 1.0) > self.rules.max_gap:
                self._s = replace(self._s, streak_start=None, away_since=None)
        s = self._s
        if s.bout_start is None:
            self._s = replace(s, bout_start=state.t, activity=state.activity, posture=state.posture)
        elif (state.activity, state.posture) != (s.activity, s.posture):
            out.extend(self._close_bout(state.t))
            self._s = replace(self._s, bout_start=state.t, activity=state.activity, posture=state.posture)
        self._s = replace(self._s, last_t=state.t, confidence=state.confidence)
        out.extend(self._streak(state))
        return out

    def finish(self) -> TrackerOutput:
        """Close the open bout (end of a recording)."""
        if self._s.last_t is None:
            return TrackerOutput()
        out = self._close_bout(self._s.last_t + 1.0)
        self._s = replace(self._s, bout_start=None)
        return out

    @staticmethod
    def bouts_of(states: list[PostureState], rules: TrackerRules) -> list[Bout]:
        """The bouts a run of seconds makes (gaps as `unknown` bouts, as live), all closed."""
        tracker = Tracker("", rules)
        out = TrackerOutput()
        for state in states:
            out.extend(tracker.feed(state))
        out.extend(tracker.finish())
        return out.bouts

    def open_bout(self) -> Bout | None:
        s = self._s
        if s.bout_start is None or s.last_t is None:
            return None
        return Bout(s.bout_start, s.last_t + 1.0, s.activity, s.posture)

    def _streak(self, state: PostureState) -> TrackerOutput:
        out = TrackerOutput()
        s = self._s
        if state.activity is Activity.SIT:
            if s.streak_start is None:
                self._s = replace(s, streak_start=state.t, away_since=None)
                out.events.append(self._event(EventType.SITTING_STARTED, state.t, {}))
            else:
                self._s = replace(s, away_since=None)
        elif state.activity in AWAY:
            away_since = s.away_since if s.away_since is not None else state.t
            self._s = replace(s, away_since=away_since)
            if s.streak_start is not None and state.t + 1.0 - away_since >= self.rules.break_seconds:
                out.events.append(self._event(EventType.BREAK_TAKEN, state.t + 1.0, {
                    "streak_started": s.streak_start, "streak_seconds": round(away_since - s.streak_start),
                    "break_started": away_since,
                }))
                self._s = replace(self._s, streak_start=None)
        return out

    def _close_bout(self, end: float) -> TrackerOutput:
        s = self._s
        out = TrackerOutput()
        if s.bout_start is not None and end > s.bout_start:
            out.bouts.append(Bout(s.bout_start, end, s.activity, s.posture))
        return out

    def _event(self, type_: EventType, t: float, data: dict[str, Any]) -> Event:
        seq = self._s.event_seq
        self._s = replace(self._s, event_seq=seq + 1)
        return Event(event_id(self.wearer, type_, t, seq), type_, t, self.wearer, data)
