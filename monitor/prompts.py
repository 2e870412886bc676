"""The prompter: decides when to bother the wearer. A pure state machine on top of the tracker.

Theory of operation
- The tracker states facts (a streak started at t, a break was taken); the prompter turns them into
  decisions: move prompts, their escalation and outcome, and slump nudges. It reads no clock: each
  second it is handed the judgement for that second, the tracker's snapshot after it and what the
  tracker emitted; commands (snooze, pause, resume, busy) arrive as inputs with their own time.
- Move prompt: due `prompt_after` into a streak, then every `repeat`. It goes out only while the
  wearer is sitting (not while up for a short stand) and only once the data covers the due
  instant, so living and replaying agree.
- Blocks: pause, snooze, outside working hours, a day off, quiet hours and busy periods (a
  do-not-disturb signal or a calendar event) hold a due prompt back. A held prompt is not lost: it
  goes out as soon as nothing blocks it, if the wearer is still sitting, marked with what held it.
- Escalation: the n-th prompt of a streak goes to the channels of escalation step n (the last step
  repeats). MQTT always carries every prompt.
- Outcome: a prompt is `answered` when a break starts within `answer_window` of it, `snoozed` when
  the wearer snoozes while it is open, `ignored` otherwise (decided once the window has passed and
  no break is under way).
- Slump nudge: slumped while sitting for `slump_hold`, at most once per `slump_interval`, never
  within `answer_window` of a move prompt, and never while prompts are blocked. Nudges are not held
  back: a stale nudge helps nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, tzinfo
from typing import Any

from monitor.calendar_ics import Busy
from monitor.model import Activity, Bout, Event, EventType, Posture, PostureState, event_id
from monitor.stretches import DaySignals, suggest_for_prompt
from monitor.summary import day_bounds
from monitor.timewindows import Window, in_any, local
from monitor.tracker import TrackerOutput, TrackerSnapshot

LONG_STREAK_SECONDS = 30 * 60
DEFAULT_ESCALATION: tuple[tuple[str, ...], ...] = (("desktop",), ("desktop", "buzz"), ("desktop", "buzz", "push"))
MOVE_ADVICE = "Stand up and move for 2-3 minutes."


@dataclass(frozen=True, slots=True)
class PromptRules:
    prompt_after: float = 30 * 60.0
    repeat: float = 10 * 60.0
    answer_window: float = 5 * 60.0
    escalation: tuple[tuple[str, ...], ...] = DEFAULT_ESCALATION
    slump_hold: float = 60.0
    slump_interval: float = 10 * 60.0
    working_hours: tuple[Window, ...] = ()  # empty: any time of day
    quiet_hours: tuple[Window, ...] = ()
    days_off: frozenset[int] = frozenset()  # 0 = Monday
    tz: tzinfo = UTC


@dataclass(frozen=True, slots=True)
class OpenPrompt:
    id: str
    t: float


@dataclass(frozen=True, slots=True)
class DayCounters:
    day_start: float = 0.0
    sitting: float = 0.0
    slumped: float = 0.0
    seated: float = 0.0
    tracked: float = 0.0
    breaks: int = 0
    longest: float = 0.0
    long_streaks: int = 0


@dataclass(frozen=True, slots=True)
class PrompterSnapshot:
    streak_start: float | None = None
    next_due: float | None = None
    prompts_in_streak: int = 0
    last_prompt_at: float | None = None
    open_prompts: tuple[OpenPrompt, ...] = ()
    held_since: float | None = None
    held_by: str | None = None
    snooze_until: float | None = None
    paused: bool = False
    pause_until: float | None = None
    busy: bool = False
    slump_since: float | None = None
    last_nudge_at: float | None = None
    day: DayCounters = field(default_factory=DayCounters)
    event_seq: int = 0

    def to_json(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__slots__ if k not in ("open_prompts", "day")}
        data["open_prompts"] = [[p.id, p.t] for p in self.open_prompts]
        data["day"] = {k: getattr(self.day, k) for k in DayCounters.__slots__}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PrompterSnapshot:
        fields = {k: data[k] for k in cls.__slots__ if k in data and k not in ("open_prompts", "day")}
        opened = tuple(OpenPrompt(str(i), float(t)) for i, t in data.get("open_prompts", []))
        day = DayCounters(**{k: v for k, v in data.get("day", {}).items() if k in DayCounters.__slots__})
        return cls(**fields, open_prompts=opened, day=day)


class Prompter:
    def __init__(self, wearer: str, rules: PromptRules, snapshot: PrompterSnapshot | None = None) -> None:
        self.wearer = wearer
        self.rules = rules
        self._s = snapshot or PrompterSnapshot()
        self._calendar: tuple[Busy, ...] = ()

    @property
    def snapshot(self) -> PrompterSnapshot:
        return self._s

    # --- inputs --------------------------------------------------------------------------------
    def set_rules(self, rules: PromptRules) -> None:
        self.rules = rules
        s = self._s
        if s.streak_start is not None and s.prompts_in_streak == 0:
            self._s = replace(s, next_due=s.streak_start + rules.prompt_after)

    def set_calendar(self, busy: list[Busy] | tuple[Busy, ...]) -> None:
        self._calendar = tuple(busy)

    def set_busy(self, now: float, busy: bool) -> list[Event]:
        if busy == self._s.busy:
            return []
        self._s = replace(self._s, busy=busy)
        return []

    def snooze(self, now: float, minutes: float) -> list[Event]:
        until = now + minutes * 60
        events = self._close_open(now, "snoozed")
        self._s = replace(self._s, snooze_until=until)
        events.append(self._event(EventType.SNOOZED, now, {"until": until, "minutes": minutes}))
        return events

    def pause(self, now: float, until: float | None = None) -> list[Event]:
        self._s = replace(self._s, paused=True, pause_until=until)
        return [self._event(EventType.PAUSED, now, {"until": until})]

    def resume(self, now: float) -> list[Event]:
        was = self._s.paused or self._s.snooze_until is not None
        self._s = replace(self._s, paused=False, pause_until=None, snooze_until=None)
        return [self._event(EventType.RESUMED, now, {})] if was else []

    # --- the clock of the data -----------------------------------------------------------------
    def observe(self, state: PostureState, tracker: TrackerSnapshot, out: TrackerOutput) -> list[Event]:
        """After the tracker took `state`: update counters, settle outcomes, prompt or nudge."""
        events: list[Event] = []
        self._count(out.bouts, out.events)
        for event in out.events:
            if event.type is EventType.BREAK_TAKEN:
                events += self._answered(float(event.data.get("break_started", event.t)))
        self._follow_streak(tracker)
        now = state.t + 1.0
        events += self._expire(now, tracker)
        events += self._maybe_prompt(now, tracker)
        events += self._maybe_nudge(state, now)
        return events

    def tick(self, now: float, tracker: TrackerSnapshot) -> list[Event]:
        """Time passed without new data (a scheduler woke us)."""
        self._expire_blocks(now)
        return self._expire(now, tracker) + self._maybe_prompt(now, tracker)

    def next_prompt_at(self) -> float | None:
        return self._s.next_due if self._s.streak_start is not None else None

    def next_wakeup(self, now: float) -> float | None:
        s = self._s
        moments = [t for t in (self.next_prompt_at(), s.snooze_until, s.pause_until,
                               *(p.t + self.rules.answer_window for p in s.open_prompts)) if t is not None]
        future = [t for t in moments if t > now]
        return min(future) if future else None

    def blocked_by(self, now: float) -> str | None:
        """Why a prompt may not go out at `now`, or None."""
        self._expire_blocks(now)
        s, r = self._s, self.rules
        if s.paused:
            return "paused"
        if s.snooze_until is not None:
            return "snoozed"
        if local(now, r.tz).weekday() in r.days_off:
            return "day_off"
        if r.working_hours and not in_any(now, r.working_hours, r.tz):
            return "outside_working_hours"
        if r.quiet_hours and in_any(now, r.quiet_hours, r.tz):
            return "quiet_hours"
        if s.busy:
            return "busy"
        if any(b.start <= now < b.end for b in self._calendar):
            return "calendar"
        return None

    def day_signals(self, current_streak_seconds: float = 0.0) -> DaySignals:
        d = self._s.day
        longest = max(d.longest, current_streak_seconds)
        return DaySignals(
            sitting_seconds=d.sitting, longest_streak_seconds=longest,
            streaks_over_30=d.long_streaks + (current_streak_seconds >= LONG_STREAK_SECONDS),
            slumped_seconds=d.slumped, seated_seconds=d.seated, breaks=d.breaks, hours_tracked=d.tracked / 3600)

    # --- internals -----------------------------------------------------------------------------
    def _expire_blocks(self, now: float) -> None:
        s = self._s
        if s.snooze_until is not None and now >= s.snooze_until:
            self._s = s = replace(s, snooze_until=None)
        if s.paused and s.pause_until is not None and now >= s.pause_until:
            self._s = replace(s, paused=False, pause_until=None)

    def _follow_streak(self, tracker: TrackerSnapshot) -> None:
        s = self._s
        if tracker.streak_start == s.streak_start:
            return
        if tracker.streak_start is None:
            self._s = replace(s, streak_start=None, next_due=None, prompts_in_streak=0, held_since=None,
                              held_by=None)
        else:
            self._s = replace(s, streak_start=tracker.streak_start,
                              next_due=tracker.streak_start + self.rules.prompt_after, prompts_in_streak=0,
                              held_since=None, held_by=None)

    def _maybe_prompt(self, now: float, tracker: TrackerSnapshot) -> list[Event]:
        s = self._s
        due = self.next_prompt_at()
        if (due is None or s.streak_start is None or tracker.last_t is None or now < due
                or tracker.last_t + 1.0 < due or tracker.activity is not Activity.SIT
                or tracker.away_since is not None):
            return []
        at = max(due, tracker.last_t)
        reason = self.blocked_by(at)
        if reason is not None:
            if s.held_since is None:
                self._s = replace(self._s, held_since=at, held_by=reason)
            return []
        number = s.prompts_in_streak + 1
        steps = self.rules.escalation or (("desktop",),)
        streak_seconds = round(at - s.streak_start)
        stretch = suggest_for_prompt(self.day_signals(at - s.streak_start), seed=number + s.day.breaks)
        data: dict[str, Any] = {
            "number": number, "streak_started": s.streak_start, "streak_seconds": streak_seconds,
            "channels": ["mqtt", *steps[min(number, len(steps)) - 1]],
            "movement": MOVE_ADVICE,
            "stretch": {"id": stretch.id, "name": stretch.name, "dose": str(stretch.dose)},
        }
        if s.held_since is not None:
            data["held_by"] = s.held_by
            data["held_since"] = s.held_since
        event = self._event(EventType.PROMPT, at, data)
        self._s = replace(self._s, prompts_in_streak=number, last_prompt_at=at,
                          next_due=max(due + self.rules.repeat, at + self.rules.repeat),
                          open_prompts=(*self._s.open_prompts, OpenPrompt(event.id, at)),
                          held_since=None, held_by=None)
        return [event]

    def _answered(self, break_started: float) -> list[Event]:
        events: list[Event] = []
        still_open: list[OpenPrompt] = []
        for p in self._s.open_prompts:
            if break_started <= p.t + self.rules.answer_window:
                events.append(self._outcome(p, "answered", break_started, {"break_started": break_started}))
            else:
                still_open.append(p)
        self._s = replace(self._s, open_prompts=tuple(still_open))
        return events

    def _expire(self, now: float, tracker: TrackerSnapshot) -> list[Event]:
        events: list[Event] = []
        still_open: list[OpenPrompt] = []
        for p in self._s.open_prompts:
            deadline = p.t + self.rules.answer_window
            break_under_way = tracker.away_since is not None and tracker.away_since <= deadline
            if now >= deadline and not break_under_way:
                events.append(self._outcome(p, "ignored", deadline, {}))
            else:
                still_open.append(p)
        self._s = replace(self._s, open_prompts=tuple(still_open))
        return events

    def _close_open(self, now: float, outcome: str) -> list[Event]:
        events = [self._outcome(p, outcome, now, {}) for p in self._s.open_prompts]
        self._s = replace(self._s, open_prompts=())
        return events

    def _outcome(self, prompt: OpenPrompt, outcome: str, t: float, extra: dict[str, Any]) -> Event:
        return self._event(EventType.PROMPT_OUTCOME, t, {"prompt_id": prompt.id, "prompt_t": prompt.t,
                                                         "outcome": outcome, **extra})

    def _maybe_nudge(self, state: PostureState, now: float) -> list[Event]:
        s = self._s
        if state.activity is not Activity.SIT or state.posture is not Posture.SLUMPED:
            if s.slump_since is not None:
                self._s = replace(s, slump_since=None)
            return []
        since = s.slump_since if s.slump_since is not None else state.t
        self._s = replace(s, slump_since=since)
        r = self.rules
        if (now - since < r.slump_hold
                or (s.last_nudge_at is not None and now - s.last_nudge_at < r.slump_interval)
                or (s.last_prompt_at is not None and now - s.last_prompt_at < r.answer_window)
                or self.blocked_by(now) is not None):
            return []
        event = self._event(EventType.SLUMP_NUDGE, now, {
            "slumped_seconds": round(now - since),
            "advice": "Roll onto your sit bones: feet flat, hips level, lengthen up through the crown.",
            "stretch": {"id": "seated-posture-reset"},
        })
        self._s = replace(self._s, last_nudge_at=now)
        return [event]

    def _count(self, bouts: list[Bout], events: list[Event]) -> None:
        for bout in bouts:
            self._roll_day(bout.start)
            d = self._s.day
            seconds = bout.seconds
            known = bout.activity is not Activity.UNKNOWN
            sitting = bout.activity is Activity.SIT
            self._s = replace(self._s, day=replace(
                d, tracked=d.tracked + (seconds if known else 0.0),
                sitting=d.sitting + (seconds if sitting else 0.0),
                seated=d.seated + (seconds if sitting and bout.posture is not Posture.UNKNOWN else 0.0),
                slumped=d.slumped + (seconds if sitting and bout.posture is Posture.SLUMPED else 0.0)))
        for event in events:
            if event.type is EventType.BREAK_TAKEN:
                self._roll_day(event.t)
                d = self._s.day
                streak = float(event.data.get("streak_seconds", 0.0))
                self._s = replace(self._s, day=replace(
                    d, breaks=d.breaks + 1, longest=max(d.longest, streak),
                    long_streaks=d.long_streaks + (streak >= LONG_STREAK_SECONDS)))

    def _roll_day(self, t: float) -> None:
        start, _ = day_bounds(t, self.rules.tz)
        if start > self._s.day.day_start:
            self._s = replace(self._s, day=DayCounters(day_start=start))

    def _event(self, type_: EventType, t: float, data: dict[str, Any]) -> Event:
        seq = self._s.event_seq
        self._s = replace(self._s, event_seq=seq + 1)
        return Event(event_id(self.wearer, type_, t, seq), type_, t, self.wearer, data)
